import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * sessions.device_id: the known device (known_devices) whose sign-in opened the session, so that the device
 * list can say which device is "this device" without sending the device cookie beyond the login route.
 * Deliberately no foreign key: a forgotten or pruned device leaves an id that simply matches no row, instead
 * of an UPDATE of every session it opened (each one a NOTIFY through the sessions_changed trigger).
 */
export class SessionDevice1764000007200 implements MigrationInterface {
  name = 'SessionDevice1764000007200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sessions ADD COLUMN device_id uuid`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sessions DROP COLUMN device_id`);
  }
}
