/**
 * Whether an error means the database cannot answer now (refused or dropped connections, a server shutting
 * down or starting, a timed-out statement or connection wait) rather than a fault in the request or the code:
 * such a request may be retried and gets 503, not 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some(
    (cause) => UNAVAILABLE_CODES.has(String(cause.code)) || UNAVAILABLE_MESSAGES.test(String(cause.message)),
  );
}

/** Seconds a client is told to wait (Retry-After) before trying again. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

const UNAVAILABLE_CODES = new Set([
  // Node's socket errors while connecting or talking to PostgreSQL.
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  // SQLSTATE class 08 (connection exception), 53300 too_many_connections, 57014 query_canceled (what
  // statement_timeout raises), 57P01..57P03 admin_shutdown / crash_shutdown / cannot_connect_now.
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
  '57014',
  '57P01',
  '57P02',
  '57P03',
]);

// node-postgres and pg-pool raise these as plain Errors without a code.
const UNAVAILABLE_MESSAGES =
  /^(timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error)/;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
}

/** The error, TypeORM's wrapped driver error and the chain of causes. */
function causes(error: unknown): ErrorLike[] {
  const found: ErrorLike[] = [];
  const pending = [error];
  while (pending.length > 0 && found.length < 10) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    const candidate = next as ErrorLike & { driverError?: unknown; cause?: unknown };
    found.push(candidate);
    pending.push(candidate.driverError, candidate.cause);
  }
  return found;
}
