'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { apiRequest } from '@/lib/api-client';
import { useApiAction } from '@/lib/use-api-action';
import { ErrorAlert } from './ErrorAlert';
import { TextField } from './TextField';

type Mode = 'signup' | 'signin';

const TEXT: Record<Mode, { title: string; submit: string; other: string; otherHref: string; otherText: string }> = {
  signup: { title: 'Sign up', submit: 'Sign up', other: 'Already have an account?', otherHref: '/auth/signin', otherText: 'Sign in' },
  signin: { title: 'Sign in', submit: 'Sign in', other: 'New here?', otherHref: '/auth/signup', otherText: 'Sign up' },
};

/**
 * Sign up / sign in. The call is made from the browser so the API's Set-Cookie lands
 * directly in it; then the router refreshes so the server re-renders the header with the
 * signed-in user.
 */
export function AuthForm({ mode, next }: { mode: Mode; next: string }) {
  const router = useRouter();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { run, pending, byField, general } = useApiAction(['email', 'password']);
  const text = TEXT[mode];

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const result = await run(() => apiRequest('POST', `/api/users/${mode}`, { email, password }));
    if (result.ok) {
      router.push(next);
      router.refresh();
    }
  }

  const otherHref = next === '/' ? text.otherHref : `${text.otherHref}?next=${encodeURIComponent(next)}`;
  return (
    <form onSubmit={onSubmit} noValidate className="col-md-6 col-lg-5">
      <h1 className="h3 mb-3">{text.title}</h1>
      <ErrorAlert messages={general} />
      <TextField name="email" label="Email" type="email" autoComplete="email" value={email} onChange={setEmail} errors={byField.email} />
      <TextField
        name="password"
        label="Password"
        type="password"
        autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
        value={password}
        onChange={setPassword}
        errors={byField.password}
      />
      <button type="submit" className="btn btn-primary" disabled={pending}>
        {text.submit}
      </button>
      <p className="mt-3 text-body-secondary">
        {text.other} <Link href={otherHref}>{text.otherText}</Link>
      </p>
    </form>
  );
}
