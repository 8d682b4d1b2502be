import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEvent } from '../database/entities/audit-event.entity';
import { AuditWriter } from './audit-writer.service';
import { AuditRepository } from './audit.repository';

/**
 * Writing the audit trail, without its route or its pruning: what the admin CLI needs too
 * (src/cli/cli.module.ts), so that a one-off command stores its events and deletes nothing.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  providers: [AuditRepository, AuditWriter],
  exports: [AuditRepository, AuditWriter],
})
export class AuditCoreModule {}
