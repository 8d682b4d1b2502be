import { Global, Module } from '@nestjs/common';
import { Transactions } from '../database/transactions';
import { AuditBuffer } from './audit-buffer';
import { SecurityLogService } from './security-log.service';
import { ShutdownState } from './shutdown-state';

@Global()
@Module({
  providers: [SecurityLogService, ShutdownState, Transactions, AuditBuffer],
  exports: [SecurityLogService, ShutdownState, Transactions, AuditBuffer],
})
export class CommonModule {}
