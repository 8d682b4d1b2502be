import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from '../database/entities/user.entity';
import { AdminProvisioningService } from './admin-provisioning.service';
import { UsersRepository } from './users.repository';

/**
 * Superusers made outside the API (ADMIN_EMAIL at start, the CLI's create-admin), written to the users table
 * and, in the same transaction, to the audit trail (the global AuditTrailModule). The service imports it
 * through AuthModule; the CLI imports it alone, with no HTTP, worker or pruner behind it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([User])],
  providers: [UsersRepository, AdminProvisioningService],
  exports: [AdminProvisioningService],
})
export class AdminProvisioningModule {}
