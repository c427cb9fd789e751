'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { apiRequest } from '@/lib/api-client';

/** Signs out (the API clears the cookie) and re-renders from the landing page. */
export function SignOutButton() {
  const router = useRouter();
  const [pending, setPending] = useState(false);

  async function signOut() {
    setPending(true);
    try {
      await apiRequest('POST', '/api/users/signout', {});
    } catch {
      // Nothing to show here: the refreshed header tells whether we are still signed in.
    }
    router.push('/');
    router.refresh();
  }

  return (
    <button type="button" className="btn btn-link nav-link" onClick={signOut} disabled={pending}>
      Sign out
    </button>
  );
}
