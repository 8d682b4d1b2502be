import { PipeTransform, Type, UnprocessableEntityException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export const MAX_BATCH = 10_000;

/**
 * The ingest routes take one event or an array of them. The whole batch is validated before anything is
 * stored; a bad event anywhere rejects the batch with 422 naming its index.
 */
export class EventBatchPipe<T extends object> implements PipeTransform<unknown, T[]> {
  constructor(private readonly type: Type<T>) {}

  transform(body: unknown): T[] {
    const items = Array.isArray(body) ? body : [body];
    if (items.length === 0) {
      throw new UnprocessableEntityException(['the batch is empty']);
    }
    if (items.length > MAX_BATCH) {
      throw new UnprocessableEntityException([`a batch holds at most ${MAX_BATCH} events`]);
    }
    const problems: string[] = [];
    const events = items.map((item, index) => {
      const where = Array.isArray(body) ? `[${index}].` : '';
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        problems.push(`${where || 'body'} must be an object`.replace(/\.\s/, ' '));
        return undefined as unknown as T;
      }
      const event = plainToInstance(this.type, item);
      const errors = validateSync(event, { whitelist: true, forbidNonWhitelisted: true });
      problems.push(...describe(errors).map((message) => `${where}${message}`));
      return event;
    });
    if (problems.length > 0) {
      // A batch of 10 000 bad events would otherwise answer with a megabyte of messages.
      throw new UnprocessableEntityException(problems.slice(0, 50));
    }
    return events;
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}
