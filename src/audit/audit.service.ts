import { Injectable } from '@nestjs/common';
import { Page } from '../common/total-count';
import { AuditEvent } from '../database/entities/audit-event.entity';
import { AuditFilter, AuditRepository } from './audit.repository';

/** Reads the stored audit trail for admins. */
@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  list(filter: AuditFilter, skip: number, limit: number): Promise<Page<AuditEvent>> {
    return this.audit.findPage(filter, skip, limit);
  }
}
