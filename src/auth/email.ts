/** E-mails are stored trimmed and lower-cased: the one form every lookup and the unique index see. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** class-transformer form of normalizeEmail, for request bodies. */
export const NormalizedEmail = ({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeEmail(value) : value);
