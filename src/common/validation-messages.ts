import type { ValidationError } from 'class-validator';

/**
 * class-validator's errors as one message each, for the API's 422 bodies and the configuration's start-up
 * error alike. A message already naming its property (class-validator's own messages do) reads as it is;
 * one that does not, or one about a nested value, is prefixed with the property's full path
 * (`items.0.email: …`), so every message says where the problem is.
 */
export function formatValidationErrors(errors: ValidationError[], parentPath = ''): string[] {
  return errors.flatMap((error) => {
    const path = parentPath === '' ? error.property : `${parentPath}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      parentPath === '' && namesProperty(message, error.property) ? message : `${path}: ${message}`,
    );
    return [...own, ...formatValidationErrors(error.children ?? [], path)];
  });
}

function namesProperty(message: string, property: string): boolean {
  return message.split(/\s+/).includes(property);
}
