import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * invitations (src/invitations): an admin invites an address; the link's token is stored only as its
 * SHA-256. A row is pending until it is accepted, revoked or past expires_at, and is kept afterwards as the
 * record of who invited whom. The partial index serves the replacement of an address's pending invitation.
 */
export class Invitations1764000006300 implements MigrationInterface {
  name = 'Invitations1764000006300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(254) NOT NULL,
        is_superuser boolean NOT NULL DEFAULT false,
        token_hash bytea NOT NULL UNIQUE,
        invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        accepted_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        revoked_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX invitations_open_email_idx ON invitations (email) WHERE accepted_at IS NULL AND revoked_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX invitations_created_at_idx ON invitations (created_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE invitations`);
  }
}
