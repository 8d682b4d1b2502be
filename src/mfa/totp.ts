import { Secret, TOTP } from 'otpauth';

/** RFC 6238's defaults, the ones every authenticator app reads from an otpauth:// URL. */
const TOTP_PARAMETERS = { issuer: 'regshield', algorithm: 'SHA1', digits: 6, period: 30 } as const;
/** Codes of the previous and next time step are accepted too, for clocks up to 30 s apart. */
const CLOCK_DRIFT_STEPS = 1;
/** RFC 4226 recommends 160 bits. */
const SECRET_BYTES = 20;

/** A new random TOTP secret, in base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The otpauth:// URL an authenticator app scans (Key URI Format), labelled with the account's e-mail. */
export function otpauthUrl(secret: string, accountName: string): string {
  return new TOTP({ ...TOTP_PARAMETERS, label: accountName, secret: Secret.fromBase32(secret) }).toString();
}

/** The time step (30 s counter) the code is valid for, within the allowed drift; undefined when none. */
export function matchingTimeStep(secret: string, code: string, now = Date.now()): number | undefined {
  const totp = new TOTP({ ...TOTP_PARAMETERS, secret: Secret.fromBase32(secret) });
  const delta = totp.validate({ token: code, timestamp: now, window: CLOCK_DRIFT_STEPS });
  return delta === null ? undefined : totp.counter({ timestamp: now }) + delta;
}

/** Six digits (spaces allowed, as apps show `123 456`): a TOTP code; anything else may be a recovery code. */
export function asTotpCode(input: string): string | undefined {
  const digits = input.replace(/\s+/g, '');
  return /^\d{6}$/.test(digits) ? digits : undefined;
}
