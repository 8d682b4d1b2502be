import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AuditRetentionService } from './audit-retention.service';
import { AuditTrailModule } from './audit-trail.module';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/**
 * The stored audit trail: written from the security log (admin actions by AuditTrail, in the
 * transactions of their changes), read by GET /api/admin/audit, pruned by age.
 */
@Module({
  imports: [AuditTrailModule, AuthModule],
  controllers: [AuditController],
  providers: [AuditService, AuditRetentionService],
})
export class AuditModule {}
