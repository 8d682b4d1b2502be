import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { SipAllowlistEntry } from '../database/entities/sip-allowlist-entry.entity';
import { SipBan } from '../database/entities/sip-ban.entity';
import { BanEngineService } from './ban-engine.service';
import { BanService } from './ban.service';
import { SipEventsService } from './sip-events.service';
import { SipSecurityController } from './sip-security.controller';

@Module({
  imports: [TypeOrmModule.forFeature([SipBan, SipAllowlistEntry]), AuthModule],
  controllers: [SipSecurityController],
  providers: [BanService, BanEngineService, SipEventsService],
})
export class SipSecurityModule {}
