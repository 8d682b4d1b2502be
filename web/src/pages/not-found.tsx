import { useEffect } from 'react';
import { Link } from 'wouter';

export function NotFoundPage() {
  useEffect(() => {
    document.title = 'Page not found · regshield';
  }, []);
  return (
    <main className="narrow">
      <h1>Page not found</h1>
      <p>There is no page at this address.</p>
      <p>
        <Link href="/login">Sign in</Link> or go to the <Link href="/admin">admin console</Link>.
      </p>
    </main>
  );
}
