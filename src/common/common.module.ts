import { Global, Module } from '@nestjs/common';
import { InsertSignals } from '../database/insert-signals';
import { Transactions } from '../database/transactions';
import { AuditBuffer } from './audit-buffer';
import { SecurityLogService } from './security-log.service';
import { ShutdownState } from './shutdown-state';

@Global()
@Module({
  providers: [SecurityLogService, ShutdownState, Transactions, AuditBuffer, InsertSignals],
  exports: [SecurityLogService, ShutdownState, Transactions, AuditBuffer, InsertSignals],
})
export class CommonModule {}
