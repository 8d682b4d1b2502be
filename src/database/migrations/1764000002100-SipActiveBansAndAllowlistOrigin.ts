import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One definition of an active ban, `sip_active_bans()`, that the service, the ban engine and the proxy's
 * `regshield_is_banned()` all read. It is a set-returning SQL function rather than a view: PostgreSQL
 * inlines it (the GiST index on sip_bans still serves `cidr >>= address`), and it runs with the caller's
 * rights, so a proxy role granted SELECT on sip_bans needs no new grant.
 *
 * `regshield_unmap_ipv4()` is the IPv4-mapped rule of src/common/cidr.ts (`::ffff:a.b.c.d/N` is
 * `a.b.c.d/(N-96)`) for addresses that reach the database without passing through the service.
 *
 * `sip_allowlist.origin` tells the entries that came from SIP_ALLOWLIST (which follow the variable at each
 * start) from those added through the API (kept). Earlier starts seeded with the description
 * 'SIP_ALLOWLIST', which is how existing rows are told apart.
 */
export class SipActiveBansAndAllowlistOrigin1764000002100 implements MigrationInterface {
  name = 'SipActiveBansAndAllowlistOrigin1764000002100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION regshield_unmap_ipv4(address inet) RETURNS inet
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN family(address) = 6 AND address <<= '::ffff:0:0/96'
          THEN set_masklen('0.0.0.0'::inet + (host(address)::inet - '::ffff:0.0.0.0'::inet), greatest(masklen(address) - 96, 0))
          ELSE address END
      $$`);
    await queryRunner.query(`
      CREATE FUNCTION sip_active_bans() RETURNS SETOF sip_bans
      LANGUAGE sql STABLE AS $$
        SELECT * FROM sip_bans WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())
      $$`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION regshield_is_banned(address inet) RETURNS boolean
      LANGUAGE sql STABLE AS $$
        SELECT EXISTS (SELECT 1 FROM sip_active_bans() WHERE cidr >>= regshield_unmap_ipv4(address))
           AND NOT EXISTS (SELECT 1 FROM sip_allowlist WHERE cidr >>= regshield_unmap_ipv4(address))
      $$`);
    await queryRunner.query(`
      ALTER TABLE sip_allowlist
        ADD COLUMN origin text NOT NULL DEFAULT 'api' CHECK (origin IN ('api', 'config'))`);
    await queryRunner.query(`UPDATE sip_allowlist SET origin = 'config' WHERE description = 'SIP_ALLOWLIST'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sip_allowlist DROP COLUMN origin`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION regshield_is_banned(address inet) RETURNS boolean
      LANGUAGE sql STABLE AS $$
        SELECT EXISTS (
          SELECT 1 FROM sip_bans
          WHERE cidr >>= address AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        ) AND NOT EXISTS (SELECT 1 FROM sip_allowlist WHERE cidr >>= address)
      $$`);
    await queryRunner.query(`DROP FUNCTION sip_active_bans(), regshield_unmap_ipv4(inet)`);
  }
}
