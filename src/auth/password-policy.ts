import { registerDecorator, ValidationOptions } from 'class-validator';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 200;

/** The seed's password rules; returns what is wrong with a password (empty when it is acceptable). */
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
