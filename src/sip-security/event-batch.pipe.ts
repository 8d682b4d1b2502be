import { PipeTransform, UnprocessableEntityException } from '@nestjs/common';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { isIp } from '../common/cidr';
import { SchemaObject } from './event-schemas';

export const MAX_BATCH = 10_000;
/** A batch of 10 000 bad events would otherwise answer with a megabyte of messages. */
const MAX_MESSAGES = 50;

const ajv = new Ajv({ allErrors: true, strict: true });
// OpenAPI's annotation keyword, which JSON Schema does not know.
ajv.addVocabulary(['example']);
ajv.addFormat('ip', { type: 'string', validate: isIp });

/**
 * The ingest routes take one event or an array of them. The whole batch is validated before anything is
 * stored; a bad event anywhere rejects the batch with 422 naming its index and field, in the wording the
 * rest of the API (class-validator) uses.
 */
export class EventBatchPipe<T extends object> implements PipeTransform<unknown, T[]> {
  private readonly validate: ValidateFunction;

  constructor(schema: SchemaObject) {
    this.validate = ajv.compile(schema);
  }

  transform(body: unknown): T[] {
    const items = Array.isArray(body) ? body : [body];
    if (items.length === 0) {
      throw new UnprocessableEntityException(['the batch is empty']);
    }
    if (items.length > MAX_BATCH) {
      throw new UnprocessableEntityException([`a batch holds at most ${MAX_BATCH} events`]);
    }
    const problems: string[] = [];
    for (let index = 0; index < items.length && problems.length < MAX_MESSAGES; index++) {
      if (!this.validate(items[index])) {
        const where = Array.isArray(body) ? `[${index}].` : '';
        problems.push(...this.validate.errors!.map((error) => where + describe(error)));
      }
    }
    if (problems.length > 0) {
      throw new UnprocessableEntityException(problems.slice(0, MAX_MESSAGES));
    }
    for (const item of items as Array<Record<string, unknown>>) {
      stripNullCharacters(item);
    }
    return items as T[];
  }
}

function describe(error: ErrorObject): string {
  const property = error.instancePath.replace(/^\//, '');
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `property ${String(params.additionalProperty)} should not exist`;
    case 'required':
      return `${String(params.missingProperty)} is required`;
    case 'format':
      return `${property} must be an IPv4 or IPv6 address`;
    case 'minimum':
      return `${property} must not be less than ${String(params.limit)}`;
    case 'maximum':
      return `${property} must not be greater than ${String(params.limit)}`;
    case 'maxLength':
      return `${property} must be shorter than or equal to ${String(params.limit)} characters`;
    case 'type':
      if (property === '') return 'each event must be an object';
      return `${property} must be ${params.type === 'integer' ? 'an integer number' : `a ${String(params.type)}`}`;
    default:
      return `${property || 'event'} ${error.message ?? 'is invalid'}`;
  }
}

/**
 * PostgreSQL text cannot hold U+0000. For attacker-controlled text the proxy relays (a User-Agent), the
 * event is kept and the NULs dropped, so a scanner cannot get its own events refused.
 */
function stripNullCharacters(item: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(item)) {
    if (typeof value === 'string' && value.includes('\u0000')) {
      item[key] = value.replaceAll('\u0000', '');
    }
  }
}
