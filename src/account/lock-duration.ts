import { LockoutConfig } from '../config/app-config';

/**
 * How long the next lock of an account (or of one of its devices) lasts, when `locksBefore` locks happened
 * since its last successful login: ACCOUNT_LOCKOUT_TIME, doubled for each of them, never beyond ACCOUNT_LOCKOUT_MAX_TIME.
 */
export function lockDurationSeconds(
  locksBefore: number,
  config: Pick<LockoutConfig, 'lockSeconds' | 'maxLockSeconds'>,
): number {
  return Math.min(config.lockSeconds * 2 ** Math.min(locksBefore, 30), config.maxLockSeconds);
}
