import {
  ArgumentMetadata,
  HttpStatus,
  UnprocessableEntityException,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { formatValidationErrors } from './validation-messages';

/**
 * Keys every object inherits. class-validator's whitelist looks properties up in a plain object, so it takes
 * `constructor` or `hasOwnProperty` for known ones, and Nest's pipe silently drops `__proto__` and
 * `constructor`: without this check `?constructor=1` would pass where `?foo=bar` is refused. No DTO of ours
 * has a property of these names.
 */
const INHERITED_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Validation as the contract wants it: 422, unknown fields rejected (never silently dropped: a client that
 * sends `is_superuser` must learn it was refused), whatever their name, values converted to the DTO's types.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.metatype && this.toValidate(metadata)) {
      const inherited = findInheritedKeys(value);
      if (inherited.length > 0) {
        throw new UnprocessableEntityException(inherited);
      }
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** One whitelist message per inherited key, anywhere in the value, in class-validator's wording. */
function findInheritedKeys(value: unknown): string[] {
  const messages: string[] = [];
  const pending: Array<{ node: unknown; path: string }> = [{ node: value, path: '' }];
  while (pending.length > 0) {
    const { node, path } = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    for (const [key, child] of Object.entries(node)) {
      if (INHERITED_KEYS.has(key)) {
        const message = `property ${key} should not exist`;
        messages.push(path === '' ? message : `${path}.${key}: ${message}`);
      } else {
        pending.push({ node: child, path: path === '' ? key : `${path}.${key}` });
      }
    }
  }
  return messages;
}

export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    errorHttpStatusCode: HttpStatus.UNPROCESSABLE_ENTITY,
    exceptionFactory: (errors: ValidationError[]) => new UnprocessableEntityException(formatValidationErrors(errors)),
  });
}
