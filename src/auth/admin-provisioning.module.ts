import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditCoreModule } from '../audit/audit-core.module';
import { User } from '../database/entities/user.entity';
import { AdminProvisioningService } from './admin-provisioning.service';
import { UsersRepository } from './users.repository';

/**
 * Superusers made outside the API (ADMIN_EMAIL at start, the CLI's create-admin) and what they are written
 * with: the users table and the audit trail. The service imports it through AuthModule; the CLI imports it
 * alone, with no HTTP, worker or pruner behind it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([User]), AuditCoreModule],
  providers: [UsersRepository, AdminProvisioningService],
  exports: [AdminProvisioningService],
})
export class AdminProvisioningModule {}
