import { ValidationError } from 'class-validator';
import { formatValidationErrors } from './validation-messages';

const error = (property: string, constraints: Record<string, string>, children: ValidationError[] = []) =>
  Object.assign(new ValidationError(), { property, constraints, children });

describe('formatValidationErrors', () => {
  it('keeps a top-level message that names its property as it is', () => {
    expect(
      formatValidationErrors([
        error('PORT', { isInt: 'PORT must be an integer number' }),
        error('is_superuser', { whitelistValidation: 'property is_superuser should not exist' }),
      ]),
    ).toEqual(['PORT must be an integer number', 'property is_superuser should not exist']);
  });

  it('prefixes a message that does not name its property with it', () => {
    expect(formatValidationErrors([error('TRUST_PROXY', { custom: 'expected a hop count' })])).toEqual([
      'TRUST_PROXY: expected a hop count',
    ]);
  });

  it('gives a nested message its full path', () => {
    const nested = error('items', {}, [error('0', {}, [error('email', { isEmail: 'email must be an email' })])]);
    expect(formatValidationErrors([nested])).toEqual(['items.0.email: email must be an email']);
  });
});
