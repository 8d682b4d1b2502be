import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the proxy loads into memory when it starts, and the keys of firewall bouncers.
 *
 * `regshield_proxy_host_bans` and `regshield_proxy_state` have the columns of Kamailio's htable database
 * load (key_name, key_type, value_type, key_value, expires), so a restarted proxy enforces every active ban
 * before the service has said a word (deploy/kamailio/kamailio.cfg, htables `ipban` and `regshield`):
 * - host bans (/32, /128), one row each keyed by the address as Kamailio prints a source (`host()` is the
 *   same compressed form), with the ban's absolute expiry in Unix seconds (0: until lifted);
 * - one row `allowlist` and one row `wide_bans`: comma lists of CIDRs for the proxy's subnet match.
 *
 * `sip_bouncers` holds the keys of CrowdSec-compatible bouncers: only a SHA-256 of each key (the keys are
 * 256 random bits, so a fast hash is as good as a slow one, and lets a request find its row by index),
 * and, per bouncer, the database time of its last decision-stream pull.
 */
export class SipProxyFeedsAndBouncers1764000003000 implements MigrationInterface {
  name = 'SipProxyFeedsAndBouncers1764000003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE VIEW regshield_proxy_host_bans AS
      SELECT DISTINCT ON (cidr) host(cidr) AS key_name, 0 AS key_type, 0 AS value_type, id::text AS key_value,
             COALESCE(ceil(extract(epoch FROM expires_at))::int, 0) AS expires
        FROM sip_active_bans()
       WHERE masklen(cidr) = CASE family(cidr) WHEN 4 THEN 32 ELSE 128 END
       ORDER BY cidr, expires_at DESC NULLS FIRST`);
    await queryRunner.query(`
      CREATE VIEW regshield_proxy_state AS
      SELECT 'allowlist'::text AS key_name, 0 AS key_type, 0 AS value_type,
             COALESCE(string_agg(cidr::text, ',' ORDER BY cidr), '') AS key_value, 0 AS expires
        FROM sip_allowlist
      UNION ALL
      SELECT 'wide_bans', 0, 0, COALESCE(string_agg(DISTINCT cidr::text, ','), ''), 0
        FROM sip_active_bans()
       WHERE masklen(cidr) < CASE family(cidr) WHEN 4 THEN 32 ELSE 128 END`);

    await queryRunner.query(`
      CREATE TABLE sip_bouncers (
        id bigserial PRIMARY KEY,
        name text NOT NULL,
        key_sha256 bytea NOT NULL UNIQUE,
        key_prefix text NOT NULL,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_pull_at timestamptz,
        revoked_at timestamptz,
        revoked_by uuid REFERENCES users (id) ON DELETE SET NULL
      )`);
    // The stream's "deleted": bans lifted or expired since a bouncer's last pull.
    await queryRunner.query(`CREATE INDEX sip_bans_lifted_at_idx ON sip_bans (lifted_at) WHERE lifted_at IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX sip_bans_expires_at_idx ON sip_bans (expires_at) WHERE expires_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX sip_bans_expires_at_idx, sip_bans_lifted_at_idx`);
    await queryRunner.query(`DROP TABLE sip_bouncers`);
    await queryRunner.query(`DROP VIEW regshield_proxy_state, regshield_proxy_host_bans`);
  }
}
