import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AuditCoreModule } from './audit-core.module';
import { AuditRetentionService } from './audit-retention.service';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/** The stored audit trail: written from the security log, read by GET /api/admin/audit, pruned by age. */
@Module({
  imports: [AuditCoreModule, AuthModule],
  controllers: [AuditController],
  providers: [AuditService, AuditRetentionService],
  exports: [AuditCoreModule],
})
export class AuditModule {}
