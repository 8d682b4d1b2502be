import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why an automatic ban was made: the engine stores, with the ban, what it saw of the source in the window
 * (counts by event kind, first and last event, usernames and user agents, the rule that fired), so the answer
 * outlives the events themselves (SIP_EVENT_RETENTION_DAYS). Null for manual bans and for bans made before.
 *
 * The index serves a source's ban history (`cidr >>= address` over every ban, not only active ones).
 */
export class SipBanEvidence1764000007700 implements MigrationInterface {
  name = 'SipBanEvidence1764000007700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sip_bans ADD COLUMN evidence jsonb`);
    await queryRunner.query(`CREATE INDEX sip_bans_cidr_gist_idx ON sip_bans USING gist (cidr inet_ops)`);
    await queryRunner.query(`CREATE INDEX sip_bans_created_at_idx ON sip_bans (created_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX sip_bans_created_at_idx, sip_bans_cidr_gist_idx`);
    await queryRunner.query(`ALTER TABLE sip_bans DROP COLUMN evidence`);
  }
}
