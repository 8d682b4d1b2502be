/**
 * 401 and 407 are digest challenges: the normal first answer to every REGISTER, not a failure. They are
 * never stored by the ingest routes and never counted by the ban engine, even when the proxy stored them
 * (a filter that counted them banned remote workers). Both the TypeScript filter and the SQL condition
 * below are built from this one list.
 */
export const DIGEST_CHALLENGE_CODES: readonly number[] = [401, 407];

export function isDigestChallenge(responseCode: number | null | undefined): boolean {
  return responseCode !== null && responseCode !== undefined && DIGEST_CHALLENGE_CODES.includes(responseCode);
}

/** The SQL condition "this failed_registrations row counts" (a NULL code counts, as the proxy may omit it). */
export function countedResponseCodeSql(column = 'response_code'): string {
  return `COALESCE(${column}, 0) NOT IN (${DIGEST_CHALLENGE_CODES.join(', ')})`;
}
