import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The durable outbox: a request that causes an e-mail inserts its row in the same transaction as the change
 * behind it, and the instances' workers send it (src/mail/outbox.worker.ts). A row is `pending` until sent
 * or given up (`failed`); its bodies are erased once it is sent, since they may carry a live link.
 */
export class MailOutbox1764000004000 implements MigrationInterface {
  name = 'MailOutbox1764000004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE mail_outbox (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        recipient text NOT NULL,
        subject text NOT NULL,
        text_body text,
        html_body text,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE status = 'pending'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE mail_outbox`);
  }
}
