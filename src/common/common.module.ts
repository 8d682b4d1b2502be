import { Global, Module } from '@nestjs/common';
import { Transactions } from '../database/transactions';
import { SecurityLogService } from './security-log.service';
import { ShutdownState } from './shutdown-state';

@Global()
@Module({
  providers: [SecurityLogService, ShutdownState, Transactions],
  exports: [SecurityLogService, ShutdownState, Transactions],
})
export class CommonModule {}
