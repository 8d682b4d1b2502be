import { Global, Module } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { FileMailTransport, MailTransport, SmtpMailTransport } from './mail-transport';
import { MailService } from './mail.service';
import { OutboxRepository } from './outbox.repository';
import { OutboxRetentionService } from './outbox-retention.service';
import { OutboxWorker } from './outbox.worker';

/** E-mail through the durable outbox; global, since sign-up, password flows and admin actions all send. */
@Global()
@Module({
  providers: [
    {
      provide: MailTransport,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): MailTransport =>
        config.mail.smtpUrl
          ? new SmtpMailTransport(config.mail.smtpUrl, config.mail.from)
          : new FileMailTransport(join(config.dataDir, 'mail'), config.mail.from),
    },
    OutboxRepository,
    OutboxWorker,
    OutboxRetentionService,
    MailService,
  ],
  exports: [MailService, OutboxWorker],
})
export class MailModule {}
