/** The single-use tokens sent by e-mail (src/common/secret-token.ts makes them), by what they allow. */
export type EmailTokenKind = 'email_verification' | 'password_reset';
