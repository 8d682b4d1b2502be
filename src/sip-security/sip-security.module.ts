import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AllowlistService } from './allowlist.service';
import { BanEngineService } from './ban-engine.service';
import { BanIndexService } from './ban-index.service';
import { BanService } from './ban.service';
import { EventRetentionService } from './event-retention.service';
import { SipAllowlistRepository } from './sip-allowlist.repository';
import { SipBansRepository } from './sip-bans.repository';
import { SipEventsRepository } from './sip-events.repository';
import { SipEventsService } from './sip-events.service';
import { SipSecurityController } from './sip-security.controller';

@Module({
  imports: [AuthModule],
  controllers: [SipSecurityController],
  providers: [
    SipEventsRepository,
    SipBansRepository,
    SipAllowlistRepository,
    BanIndexService,
    BanService,
    AllowlistService,
    BanEngineService,
    SipEventsService,
    EventRetentionService,
  ],
})
export class SipSecurityModule {}
