import Link from 'next/link';
import type { CurrentUser } from '@/lib/types';
import { SignOutButton } from './SignOutButton';

/** Rendered on the server with the request's user, so it never flashes signed out. */
export function Header({ currentUser }: { currentUser: CurrentUser | null }) {
  return (
    <nav className="navbar navbar-expand bg-body-tertiary border-bottom">
      <div className="container">
        <Link href="/" className="navbar-brand fw-semibold">
          Ticketing
        </Link>
        <ul className="navbar-nav ms-auto align-items-center">
          {currentUser ? (
            <>
              <li className="nav-item">
                <Link href="/tickets/new" className="nav-link">
                  Sell tickets
                </Link>
              </li>
              <li className="nav-item">
                <Link href="/orders" className="nav-link">
                  My orders
                </Link>
              </li>
              <li className="nav-item d-none d-md-block">
                <span className="navbar-text small px-2" data-testid="current-user">
                  {currentUser.email}
                </span>
              </li>
              <li className="nav-item">
                <SignOutButton />
              </li>
            </>
          ) : (
            <>
              <li className="nav-item">
                <Link href="/auth/signup" className="nav-link">
                  Sign up
                </Link>
              </li>
              <li className="nav-item">
                <Link href="/auth/signin" className="nav-link">
                  Sign in
                </Link>
              </li>
            </>
          )}
        </ul>
      </div>
    </nav>
  );
}
