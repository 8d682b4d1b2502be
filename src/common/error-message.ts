/** What an Error-like value carries: read by shape, since an error from another realm fails `instanceof Error`. */
export interface ErrorLike {
  name: string;
  message: string;
  code?: unknown;
  cause?: unknown;
}

export function isErrorLike(value: unknown): value is ErrorLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorLike).name === 'string' &&
    typeof (value as ErrorLike).message === 'string'
  );
}

/** The message of a thrown value, for a log line or a stored last error. */
export function errorMessage(error: unknown): string {
  return isErrorLike(error) ? error.message : String(error);
}
