import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AdminMfaController } from './admin-mfa.controller';
import { MfaCoreModule } from './mfa-core.module';
import { MfaController } from './mfa.controller';
import { MfaService } from './mfa.service';

/** The second-factor routes: the user's setup, enable and disable, and the admin's removal. */
@Module({
  imports: [AuthModule, MfaCoreModule],
  controllers: [MfaController, AdminMfaController],
  providers: [MfaService],
})
export class MfaModule {}
