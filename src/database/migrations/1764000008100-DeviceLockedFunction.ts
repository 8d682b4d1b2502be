import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * regshield_device_locked(uuid): is this known device locked right now? A sign-in from a known device asks it
 * in the write that records the login (UsersRepository.recordLogin), so that a lock landing while the password
 * was verified still refuses it. A function rather than a subquery, so that the statement keeps the shape the
 * auth-state cache reads exactly (an UPDATE of one user by id, LocalWritesSubscriber) and drops only that user.
 */
export class DeviceLockedFunction1764000008100 implements MigrationInterface {
  name = 'DeviceLockedFunction1764000008100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION regshield_device_locked(device uuid) RETURNS boolean
        LANGUAGE sql STABLE
        AS $$ SELECT EXISTS (SELECT 1 FROM known_devices WHERE id = device AND locked_until > now()) $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION regshield_device_locked(uuid)`);
  }
}
