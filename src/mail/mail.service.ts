import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { MailMessage } from './mail-message';
import { OutboxRepository } from './outbox.repository';

/**
 * What the rest of the service calls to send an e-mail: it is queued in the outbox, inside the caller's
 * transaction, and OutboxWorker sends it. Nothing is ever sent directly from a request.
 */
@Injectable()
export class MailService {
  constructor(private readonly outbox: OutboxRepository) {}

  enqueue(message: MailMessage, tx?: EntityManager): Promise<void> {
    return this.outbox.insertMessage(message, tx);
  }

  /** Queues several e-mails in one statement, as enqueue() does one. */
  enqueueAll(messages: MailMessage[], tx?: EntityManager): Promise<void> {
    return this.outbox.insertMessages(messages, tx);
  }
}
