import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * known_devices (src/devices): a browser or client that signed in to an account, named by the signed device
 * cookie it was given. A device of the account is exempt from the account's lock and is locked on its own
 * (failed_login_count / lockout_count / locked_until, as on users), so a stranger's failures cannot lock the
 * owner out of a device that signed in before. Rows go with their user; unused ones are pruned after
 * DEVICE_COOKIE_TTL.
 */
export class KnownDevices1764000005500 implements MigrationInterface {
  name = 'KnownDevices1764000005500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE known_devices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        last_ip inet,
        user_agent text,
        failed_login_count integer NOT NULL DEFAULT 0,
        lockout_count integer NOT NULL DEFAULT 0,
        locked_until timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX known_devices_user_idx ON known_devices (user_id, last_used_at DESC)`);
    await queryRunner.query(`CREATE INDEX known_devices_last_used_at_idx ON known_devices (last_used_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE known_devices`);
  }
}
