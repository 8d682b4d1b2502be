import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEvent } from '../database/entities/audit-event.entity';
import { AuditRepository } from './audit.repository';
import { AuditTrail } from './audit-trail.service';

/**
 * The audit table and the transactional trail of admin actions, for every feature that changes something
 * an admin is accountable for (global, as CommonModule: the features need it, and AuditModule's routes need
 * the auth module, which provisions superusers through it).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  providers: [AuditRepository, AuditTrail],
  exports: [AuditRepository, AuditTrail],
})
export class AuditTrailModule {}
