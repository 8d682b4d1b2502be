import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsers1764000000000 implements MigrationInterface {
  name = 'CreateUsers1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (email = lower(btrim(email)) AND email <> ''),
        full_name text NOT NULL,
        hashed_password text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'active', 'deactivated')),
        is_superuser boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The unique index, not a check-then-insert, is what makes concurrent duplicate sign-ups fail.
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
    await queryRunner.query(
      `CREATE INDEX users_inactive_queue_idx ON users (status, created_at) WHERE status <> 'active'`,
    );
    await queryRunner.query(`CREATE INDEX users_created_at_idx ON users (created_at, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE users`);
  }
}
