/**
 * The signed-in session. The access token lives in this module's memory only: never in localStorage, where any
 * script on the origin could read it. A reload or a new tab gets a fresh one from the refresh cookie the API
 * sets (HttpOnly, so no script sees it) when login and refresh carry `X-Refresh-Cookie: 1`; without a cookie,
 * or once the session has ended on the server, refresh fails and the app returns to /login.
 */

import createClient from 'openapi-fetch';
import type { paths } from '../../generated/api';

export const REFRESH_COOKIE_HEADER = { 'X-Refresh-Cookie': '1' } as const;

/** Routes whose 401 says something about the credentials sent, never that the session has ended. */
const CREDENTIAL_ROUTES = [
  '/api/auth/login',
  '/api/auth/passkeys/login/verify',
  '/api/auth/refresh',
  '/api/auth/register',
];

/** The session routes, called without the retry-on-401 of the app's client (client.ts), which is built on them. */
const sessionApi = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });

let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;
const endListeners = new Set<() => void>();

export function hasAccessToken(): boolean {
  return accessToken !== null;
}

export function startSession(token: string): void {
  accessToken = token;
}

/** Called when the session is over; returns the function that unsubscribes. */
export function onSessionEnded(listener: () => void): () => void {
  endListeners.add(listener);
  return () => endListeners.delete(listener);
}

function endSession(): void {
  accessToken = null;
  for (const listener of endListeners) listener();
}

/** A new access token from the refresh cookie; one request at a time, shared by every caller waiting on it. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const { data } = await sessionApi.POST('/api/auth/refresh', { body: {}, headers: REFRESH_COOKIE_HEADER });
      if (!data) return false;
      accessToken = data.access_token;
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Ends the session on the server (its refresh cookie with it), then here. */
export async function signOut(): Promise<void> {
  if (accessToken !== null) {
    await sessionApi
      .POST('/api/auth/logout', {
        headers: { Authorization: `Bearer ${accessToken}`, ...REFRESH_COOKIE_HEADER },
      })
      .catch(() => undefined);
  }
  endSession();
}

function withAccessToken(request: Request): Request {
  if (accessToken !== null) request.headers.set('Authorization', `Bearer ${accessToken}`);
  return request;
}

/**
 * The API client's fetch: sends the access token; on a 401 from any route but the credential ones, refreshes
 * once and repeats the request, and when that fails the session has ended.
 */
export async function authorizedFetch(request: Request): Promise<Response> {
  const repeat = request.clone();
  const response = await fetch(withAccessToken(request));
  if (response.status !== 401 || CREDENTIAL_ROUTES.includes(new URL(request.url).pathname)) return response;
  if (await refreshSession()) return fetch(withAccessToken(repeat));
  endSession();
  return response;
}
