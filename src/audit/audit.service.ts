import { Injectable } from '@nestjs/common';
import { Page } from '../common/total-count';
import { SECURITY_EVENTS } from '../common/security-log.service';
import { AuditEntry, AuditFilter, AuditRepository } from './audit.repository';

/** Reads the stored audit trail for admins. */
@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  list(filter: AuditFilter, skip: number, limit: number): Promise<Page<AuditEntry>> {
    return this.audit.findPage(filter, skip, limit);
  }

  /** Every event name the service logs, in alphabetical order (the console's event picker). */
  eventNames(): string[] {
    return [...SECURITY_EVENTS].sort();
  }
}
