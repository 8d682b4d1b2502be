import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where Kamailio (deploy/kamailio/kamailio.cfg) puts the event rows it still has queued when it stops cleanly:
 * its mqueue module INSERTs each as (key = the table, val = the row's VALUES tuple, escaped by the cfg as for
 * its own INSERTs). The trigger writes each row into its table and keeps nothing here, so the rows of a stop are
 * in failed_registrations / door_knock_attempts as soon as Kamailio has exited. It runs with the inserting role's
 * rights (the proxy's, which may insert events anyway) and accepts only the two event tables.
 * The column lists are those of the cfg's EVENT_COLUMNS route.
 */
export class SipProxyEventQueue1764000005650 implements MigrationInterface {
  name = 'SipProxyEventQueue1764000005650';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE regshield_proxy_event_queue (key text NOT NULL, val text NOT NULL)`);
    await queryRunner.query(`
      CREATE FUNCTION regshield_proxy_event_queue_write() RETURNS trigger LANGUAGE plpgsql AS $$
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
    await queryRunner.query(`
      CREATE TRIGGER regshield_proxy_event_queue_write BEFORE INSERT ON regshield_proxy_event_queue
        FOR EACH ROW EXECUTE FUNCTION regshield_proxy_event_queue_write()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE regshield_proxy_event_queue`);
    await queryRunner.query(`DROP FUNCTION regshield_proxy_event_queue_write()`);
  }
}
