import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AllowlistService } from './allowlist.service';
import { BanEngineService } from './ban-engine.service';
import { BanIndexService } from './ban-index.service';
import { BanExportAccessGuard } from './ban-export-access.guard';
import { BanService } from './ban.service';
import { BouncerKeyGuard } from './bouncer-key.guard';
import { BouncersController } from './bouncers.controller';
import { BouncersRepository } from './bouncers.repository';
import { BouncersService } from './bouncers.service';
import { DecisionsController } from './decisions.controller';
import { DecisionsService } from './decisions.service';
import { ProxySyncService } from './proxy-sync.service';
import { EventPartitionsRepository } from './event-partitions.repository';
import { EventPartitionsService } from './event-partitions.service';
import { EventRetentionService } from './event-retention.service';
import { SipAllowlistController } from './sip-allowlist.controller';
import { SipAllowlistRepository } from './sip-allowlist.repository';
import { SipBansController } from './sip-bans.controller';
import { SipBansRepository } from './sip-bans.repository';
import { SipEventsController } from './sip-events.controller';
import { SipEventsRepository } from './sip-events.repository';
import { SipEventsService } from './sip-events.service';
import { SipSourcesController } from './sip-sources.controller';
import { SipSourcesService } from './sip-sources.service';

@Module({
  imports: [AuthModule],
  controllers: [
    SipEventsController,
    SipBansController,
    SipSourcesController,
    SipAllowlistController,
    BouncersController,
    DecisionsController,
  ],
  providers: [
    SipEventsRepository,
    SipBansRepository,
    SipAllowlistRepository,
    BanIndexService,
    BanService,
    AllowlistService,
    BanEngineService,
    SipEventsService,
    SipSourcesService,
    ProxySyncService,
    BouncersRepository,
    BouncersService,
    DecisionsService,
    BouncerKeyGuard,
    BanExportAccessGuard,
    EventRetentionService,
    EventPartitionsRepository,
    EventPartitionsService,
  ],
  // What src/sip-accounts builds on (its compromise rule bans through the same tables, index and proxy push;
  // it tells the source page a source's trust, country and accounts), and the console's status page (src/status).
  exports: [
    SipBansRepository,
    BanService,
    BanIndexService,
    ProxySyncService,
    BanEngineService,
    SipSourcesService,
    BouncersService,
  ],
})
export class SipSecurityModule {}
