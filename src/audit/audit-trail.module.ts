import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEvent } from '../database/entities/audit-event.entity';
import { AuditRepository } from './audit.repository';
import { AuditTrail } from './audit-trail.service';
import { AuditWriter } from './audit-writer.service';

/**
 * Writing the audit table: the transactional trail of admin actions and the batched writer of the other
 * security events. Global, as CommonModule: every feature that changes something an admin is accountable
 * for needs it, and AuditModule's routes need the auth module, which provisions superusers through it. It
 * has no route and prunes nothing, so the admin CLI (src/cli/cli.module.ts) imports it as it is.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  providers: [AuditRepository, AuditTrail, AuditWriter],
  exports: [AuditRepository, AuditTrail, AuditWriter],
})
export class AuditTrailModule {}
