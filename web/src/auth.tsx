import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ReactNode, useEffect, useState } from 'react';
import { Redirect, useLocation } from 'wouter';
import { api, dataOrThrow, User } from './api/client';
import { hasAccessToken, onSessionEnded, refreshSession } from './api/session';
import { Loading } from './components/states';

export const ME_QUERY_KEY = ['me'] as const;

export function useCurrentUser() {
  return useQuery({
    queryKey: ME_QUERY_KEY,
    queryFn: async (): Promise<User> => dataOrThrow(await api.GET('/api/auth/me')),
    staleTime: 60_000,
  });
}

/**
 * The sign-in page's address that brings the user back to the page shown now, written from the root (`~`) so
 * that it works from inside a nested router such as the console's.
 */
export function loginPathReturningHere(): string {
  return `~/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`;
}

/** When the session ends (refresh refused, sign-out), forget what was loaded and go to /login. */
export function useSessionEndRedirect(): void {
  const [, navigate] = useLocation();
  const queryClient = useQueryClient();
  useEffect(
    () =>
      onSessionEnded(() => {
        queryClient.clear();
        navigate(loginPathReturningHere(), { replace: true });
      }),
    [navigate, queryClient],
  );
}

/**
 * Renders its children once there is an access token, after a silent refresh from the cookie when there is
 * none yet (a reload, a new tab); otherwise sends the user to /login, to come back here afterwards.
 */
export function RequireSession({ children }: { children: ReactNode }) {
  const [state, setState] = useState<'checking' | 'signed-in' | 'signed-out'>(() =>
    hasAccessToken() ? 'signed-in' : 'checking',
  );
  useEffect(() => {
    if (state !== 'checking') return;
    let live = true;
    void refreshSession().then((ok) => live && setState(ok ? 'signed-in' : 'signed-out'));
    return () => {
      live = false;
    };
  }, [state]);
  if (state === 'checking') return <Loading what="your session" />;
  if (state === 'signed-out') return <Redirect to={loginPathReturningHere()} replace />;
  return <>{children}</>;
}
