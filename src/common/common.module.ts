import { Global, Module } from '@nestjs/common';
import { SecurityLogService } from './security-log.service';
import { ShutdownState } from './shutdown-state';

@Global()
@Module({
  providers: [SecurityLogService, ShutdownState],
  exports: [SecurityLogService, ShutdownState],
})
export class CommonModule {}
