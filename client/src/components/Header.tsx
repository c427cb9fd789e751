import Link from 'next/link';
import type { ReactNode } from 'react';
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
              <NavLink href="/tickets/new">Sell tickets</NavLink>
              <NavLink href="/orders">My orders</NavLink>
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
              <NavLink href="/auth/signup">Sign up</NavLink>
              <NavLink href="/auth/signin">Sign in</NavLink>
            </>
          )}
        </ul>
      </div>
    </nav>
  );
}

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <li className="nav-item">
      <Link href={href} className="nav-link">
        {children}
      </Link>
    </li>
  );
}
