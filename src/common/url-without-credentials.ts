/**
 * A URL as logs and metric labels may show it: without the user and password it may carry (a Kamailio RPC
 * URL behind basic auth, say). A value that is not a URL is returned as it is.
 */
export function urlWithoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}
