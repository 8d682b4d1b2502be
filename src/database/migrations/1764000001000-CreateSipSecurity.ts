import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The SIP proxy's tables. `failed_registrations` and `door_knock_attempts` are the contract with the proxy,
 * which may insert into them directly (no CHECKs beyond the contract's types, so that no proxy row is ever
 * refused; the API validates what it accepts); `sip_bans`, `sip_allowlist` and `regshield_is_banned()` are what the
 * proxy reads to drop banned sources (deploy/kamailio, deploy/opensips).
 */
export class CreateSipSecurity1764000001000 implements MigrationInterface {
  name = 'CreateSipSecurity1764000001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE failed_registrations (
        id bigserial PRIMARY KEY,
        username text,
        domain text,
        source_ip inet NOT NULL,
        source_port int,
        user_agent text,
        response_code int,
        response_reason text,
        expires int,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // "Events of one IP in a time window" (the ban engine, filters) and "newest first" (listings).
    await queryRunner.query(
      `CREATE INDEX failed_registrations_source_time_idx ON failed_registrations (source_ip, created_at)`,
    );
    await queryRunner.query(`CREATE INDEX failed_registrations_time_idx ON failed_registrations (created_at, id)`);

    await queryRunner.query(`
      CREATE TABLE door_knock_attempts (
        id bigserial PRIMARY KEY,
        source_ip inet NOT NULL,
        source_port int,
        method text,
        request_uri text,
        from_uri text,
        to_uri text,
        domain text,
        reason text,
        user_agent text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX door_knock_attempts_source_time_idx ON door_knock_attempts (source_ip, created_at)`,
    );
    await queryRunner.query(`CREATE INDEX door_knock_attempts_time_idx ON door_knock_attempts (created_at, id)`);

    await queryRunner.query(`
      CREATE TABLE sip_bans (
        id bigserial PRIMARY KEY,
        cidr cidr NOT NULL,
        reason text NOT NULL,
        source text NOT NULL CHECK (source IN ('auto', 'manual')),
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        lifted_at timestamptz,
        lifted_by uuid REFERENCES users (id) ON DELETE SET NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX sip_bans_active_cidr_idx ON sip_bans USING gist (cidr inet_ops) WHERE lifted_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX sip_bans_cidr_history_idx ON sip_bans (cidr, created_at)`);

    await queryRunner.query(`
      CREATE TABLE sip_allowlist (
        id bigserial PRIMARY KEY,
        cidr cidr NOT NULL UNIQUE,
        description text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    // One question for the proxy: is this source banned right now? The allowlist is checked again here.
    await queryRunner.query(`
      CREATE FUNCTION regshield_is_banned(address inet) RETURNS boolean
      LANGUAGE sql STABLE AS $$
        SELECT EXISTS (
          SELECT 1 FROM sip_bans
          WHERE cidr >>= address AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        ) AND NOT EXISTS (SELECT 1 FROM sip_allowlist WHERE cidr >>= address)
      $$`);

    // Every instance of the app keeps the active bans in memory; this tells them at once when they change.
    await queryRunner.query(`
      CREATE FUNCTION regshield_notify_ban_change() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('regshield_bans', TG_TABLE_NAME);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER sip_bans_changed AFTER INSERT OR UPDATE OR DELETE ON sip_bans
      FOR EACH STATEMENT EXECUTE FUNCTION regshield_notify_ban_change()`);
    await queryRunner.query(`
      CREATE TRIGGER sip_allowlist_changed AFTER INSERT OR UPDATE OR DELETE ON sip_allowlist
      FOR EACH STATEMENT EXECUTE FUNCTION regshield_notify_ban_change()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sip_allowlist, sip_bans, door_knock_attempts, failed_registrations`);
    await queryRunner.query(`DROP FUNCTION regshield_is_banned(inet), regshield_notify_ban_change()`);
  }
}
