import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { AuditEvent } from '../database/entities/audit-event.entity';
import { AuditRetentionService } from './audit-retention.service';
import { AuditWriter } from './audit-writer.service';
import { AuditController } from './audit.controller';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

/** The stored audit trail: written from the security log, read by GET /api/admin/audit, pruned by age. */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent]), AuthModule],
  controllers: [AuditController],
  providers: [AuditRepository, AuditService, AuditWriter, AuditRetentionService],
  exports: [AuditWriter],
})
export class AuditModule {}
