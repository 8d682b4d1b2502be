import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useSearch } from 'wouter';
import { api, ApiError, dataOrThrow } from '../api/client';
import { ErrorMessage, Loading } from '../components/states';
import { LinkNotValid } from './reset-password';

/**
 * `/verify-email?token=…`, the page the verification e-mail links to: it posts the token as it opens. A query
 * rather than an effect, so that the token is posted once even when React renders the page twice.
 */
export function VerifyEmailPage() {
  const token = new URLSearchParams(useSearch()).get('token') ?? '';
  const verification = useQuery({
    queryKey: ['verify-email', token],
    queryFn: async () => dataOrThrow(await api.POST('/api/auth/verify-email', { body: { token } })),
    enabled: token !== '',
    staleTime: Infinity,
    gcTime: Infinity,
  });

  useEffect(() => {
    document.title = 'Confirm your email · regshield';
  }, []);

  const refused = token === '' || (verification.error instanceof ApiError && verification.error.status < 500);
  return (
    <main className="narrow">
      <h1>Confirm your email</h1>
      {refused ? (
        <LinkNotValid what="confirmation" />
      ) : verification.isError ? (
        <ErrorMessage error={verification.error} />
      ) : verification.isPending ? (
        <Loading what="the confirmation" />
      ) : (
        <p role="status" className="notice">
          Your email address {verification.data.email} is confirmed.
        </p>
      )}
      <p>
        <Link href="/login">Sign in</Link>
      </p>
    </main>
  );
}
