import Link from 'next/link';

export default function NotFound() {
  return (
    <div>
      <h1 className="h3">Not Found</h1>
      <p>There is nothing at this address.</p>
      <Link href="/">Back to the tickets</Link>
    </div>
  );
}
