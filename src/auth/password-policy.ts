import { dictionary } from '@zxcvbn-ts/language-common';
import { registerDecorator, ValidationOptions } from 'class-validator';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 200;

export const COMMON_PASSWORD_MESSAGE = 'password is too common: it is on a list of leaked passwords';

let blocklistEnabled = false;
let commonPasswords: ReadonlySet<string> | undefined;

/**
 * PASSWORD_BLOCKLIST, applied at start for the whole process (AppModule.forRoot): class-validator's
 * decorators cannot reach the configuration, and register, reset and change all validate through them.
 * The list (zxcvbn-ts's common passwords, 49,233 entries, lower-cased) is loaded into a Set the first time
 * it is turned on, and kept.
 */
export function usePasswordBlocklist(enabled: boolean): void {
  blocklistEnabled = enabled;
  if (enabled) commonPasswords ??= new Set(dictionary['passwords-common'].map((entry) => entry.toLowerCase()));
}

/** Whether the password is on the common-password list (case-insensitively); false while the list is off. */
export function isCommonPassword(password: string): boolean {
  return blocklistEnabled && commonPasswords!.has(password.toLowerCase());
}

/** The seed's password rules and the blocklist; returns what is wrong with a password (empty when acceptable). */
export function passwordProblems(password: string): string[] {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) {
    problems.push(`password must be at least ${PASSWORD_MIN_LENGTH} characters long`);
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    problems.push(`password must be at most ${PASSWORD_MAX_LENGTH} characters long`);
  }
  if (!/\p{Lu}/u.test(password)) problems.push('password must contain an upper-case letter');
  if (!/\p{Ll}/u.test(password)) problems.push('password must contain a lower-case letter');
  if (!/\p{Nd}/u.test(password)) problems.push('password must contain a digit');
  if (isCommonPassword(password)) problems.push(COMMON_PASSWORD_MESSAGE);
  return problems;
}

/** class-validator form of `passwordProblems`, reporting every rule the password breaks. */
export function IsAcceptablePassword(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isAcceptablePassword',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && passwordProblems(value).length === 0,
        defaultMessage: (args) =>
          typeof args?.value === 'string' ? passwordProblems(args.value).join('; ') : 'password must be a string',
      },
    });
}
