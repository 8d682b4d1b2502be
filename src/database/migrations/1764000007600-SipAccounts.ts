import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The account behind the SIP door (src/sip-accounts):
 * - `registration_successes`, shared with the proxy like the two event tables: one row when an account
 *   registers from a source the proxy has not reported for it within its SIP_SUCCESS_REPORT_INTERVAL;
 * - `sip_account_alerts`: credential compromise, new network, new country; resolved by an admin;
 * - `sip_account_blocks`: an account (or one username from one source) answered 403 at the proxy;
 * - `regshield_proxy_account_blocks`: the active blocks in the columns of Kamailio's htable database load, so a
 *   restarted proxy enforces them before the service has said a word (kamailio.cfg, htable `acctblock`);
 * - the proxy's stop-time queue (SipProxyEventQueue) also takes registration_successes rows.
 * Changes to blocks are NOTIFYed on `regshield_account_blocks`, so every instance pushes them to its proxies.
 */
export class SipAccounts1764000007600 implements MigrationInterface {
  name = 'SipAccounts1764000007600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE registration_successes (
        id bigserial PRIMARY KEY,
        username text,
        domain text,
        source_ip inet NOT NULL,
        source_port int,
        user_agent text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // An account's history (new network), a source's history (trusted sources, compromise evidence).
    await queryRunner.query(
      `CREATE INDEX registration_successes_account_idx ON registration_successes (username, domain, created_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX registration_successes_source_idx ON registration_successes (source_ip, created_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX registration_successes_created_at_idx ON registration_successes (created_at)`,
    );
    // The compromise rule asks of one source which usernames it failed to register.
    await queryRunner.query(
      `CREATE INDEX failed_registrations_source_username_idx ON failed_registrations (source_ip, username, created_at)`,
    );

    await queryRunner.query(`
      CREATE TABLE sip_account_alerts (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('credential_compromise', 'new_network', 'new_country')),
        username text NOT NULL,
        domain text NOT NULL,
        source_ip inet NOT NULL,
        country text,
        evidence jsonb NOT NULL DEFAULT '{}',
        registration_id bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        resolved_by uuid REFERENCES users (id) ON DELETE SET NULL
      )`);
    await queryRunner.query(`CREATE INDEX sip_account_alerts_created_at_idx ON sip_account_alerts (created_at)`);
    await queryRunner.query(
      `CREATE INDEX sip_account_alerts_account_idx ON sip_account_alerts (username, domain, created_at)`,
    );
    await queryRunner.query(`CREATE INDEX sip_account_alerts_source_idx ON sip_account_alerts (source_ip)`);

    // How far the account watch has evaluated registration_successes: one row, so a restart (or another
    // instance) neither skips a success nor alerts on one twice.
    await queryRunner.query(`
      CREATE TABLE sip_account_watch_state (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        last_registration_id bigint NOT NULL
      )`);
    await queryRunner.query(`INSERT INTO sip_account_watch_state (last_registration_id) VALUES (0)`);

    await queryRunner.query(`
      CREATE TABLE sip_account_blocks (
        id bigserial PRIMARY KEY,
        username text NOT NULL,
        domain text NOT NULL,
        source_ip inet,
        reason text NOT NULL,
        source text NOT NULL CHECK (source IN ('auto', 'manual')),
        alert_id bigint REFERENCES sip_account_alerts (id) ON DELETE SET NULL,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        lifted_at timestamptz,
        lifted_by uuid REFERENCES users (id) ON DELETE SET NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX sip_account_blocks_active_idx ON sip_account_blocks (username, domain) WHERE lifted_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE FUNCTION sip_account_blocks_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('regshield_account_blocks', '');
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER sip_account_blocks_notify AFTER INSERT OR UPDATE OR DELETE ON sip_account_blocks
        FOR EACH STATEMENT EXECUTE FUNCTION sip_account_blocks_notify()`);

    // key: "username@domain", or "username@domain|address" for a block of one source (as the proxy prints it).
    await queryRunner.query(`
      CREATE VIEW regshield_proxy_account_blocks AS
      SELECT DISTINCT ON (key_name) key_name, 0 AS key_type, 0 AS value_type, id::text AS key_value,
             COALESCE(ceil(extract(epoch FROM expires_at))::int, 0) AS expires
        FROM (SELECT id, expires_at,
                     username || '@' || domain || COALESCE('|' || host(source_ip), '') AS key_name
                FROM sip_account_blocks
               WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())) active
       ORDER BY key_name, expires_at DESC NULLS FIRST`);

    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION regshield_proxy_event_queue_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.key = 'failed_registrations' THEN
          EXECUTE 'INSERT INTO failed_registrations (username, domain, source_ip, source_port, user_agent, '
            || 'response_code, response_reason, expires, created_at) VALUES ' || NEW.val;
        ELSIF NEW.key = 'door_knock_attempts' THEN
          EXECUTE 'INSERT INTO door_knock_attempts (source_ip, source_port, method, request_uri, from_uri, to_uri, '
            || 'domain, reason, user_agent, created_at) VALUES ' || NEW.val;
        ELSIF NEW.key = 'registration_successes' THEN
          EXECUTE 'INSERT INTO registration_successes (username, domain, source_ip, source_port, user_agent, '
            || 'created_at) VALUES ' || NEW.val;
        ELSE
          RAISE EXCEPTION 'regshield_proxy_event_queue: no event table %', quote_literal(NEW.key);
        END IF;
        RETURN NULL;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION regshield_proxy_event_queue_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.key = 'failed_registrations' THEN
          EXECUTE 'INSERT INTO failed_registrations (username, domain, source_ip, source_port, user_agent, '
            || 'response_code, response_reason, expires, created_at) VALUES ' || NEW.val;
        ELSIF NEW.key = 'door_knock_attempts' THEN
          EXECUTE 'INSERT INTO door_knock_attempts (source_ip, source_port, method, request_uri, from_uri, to_uri, '
            || 'domain, reason, user_agent, created_at) VALUES ' || NEW.val;
        ELSE
          RAISE EXCEPTION 'regshield_proxy_event_queue: no event table %', quote_literal(NEW.key);
        END IF;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`DROP VIEW regshield_proxy_account_blocks`);
    await queryRunner.query(`DROP TABLE sip_account_blocks`);
    await queryRunner.query(`DROP FUNCTION sip_account_blocks_notify()`);
    await queryRunner.query(`DROP TABLE sip_account_watch_state`);
    await queryRunner.query(`DROP TABLE sip_account_alerts`);
    await queryRunner.query(`DROP INDEX failed_registrations_source_username_idx`);
    await queryRunner.query(`DROP TABLE registration_successes`);
  }
}
