import 'bootstrap/dist/css/bootstrap.min.css';
import './globals.css';
import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { Header } from '@/components/Header';
import { getCurrentUser } from '@/lib/api-server';

export const metadata: Metadata = {
  title: { default: 'Ticketing', template: '%s · Ticketing' },
  description: 'Buy and sell tickets for events',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const currentUser = await getCurrentUser();
  return (
    <html lang="en">
      <body>
        <Header currentUser={currentUser} />
        <main className="container py-4">{children}</main>
      </body>
    </html>
  );
}
