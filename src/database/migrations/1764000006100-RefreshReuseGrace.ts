import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a refresh needs to answer the token it just spent, presented again by the same client within
 * REFRESH_REUSE_GRACE, with the successor it already handed out (two tabs refreshing at once):
 * - previous_refresh_token_hash: the SHA-256 of the token the last rotation spent;
 * - rotated_at: when;
 * - sealed_refresh_token: the current token's secret, AES-256-GCM encrypted under a key derived from the
 *   spent token's secret. The spent token is stored only as its digest, so only whoever holds it can open
 *   this: the column alone (a backup, a read-only leak) gives no usable token.
 * All three are null until a session's first refresh (sessions from before this migration included).
 */
export class RefreshReuseGrace1764000006100 implements MigrationInterface {
  name = 'RefreshReuseGrace1764000006100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE sessions
        ADD COLUMN previous_refresh_token_hash bytea,
        ADD COLUMN rotated_at timestamptz,
        ADD COLUMN sealed_refresh_token bytea`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE sessions
        DROP COLUMN previous_refresh_token_hash,
        DROP COLUMN rotated_at,
        DROP COLUMN sealed_refresh_token`);
  }
}
