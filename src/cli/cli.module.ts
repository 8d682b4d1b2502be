import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditTrailModule } from '../audit/audit-trail.module';
import { AdminProvisioningModule } from '../auth/admin-provisioning.module';
import { usePasswordBlocklist } from '../auth/password-policy';
import { CommonModule } from '../common/common.module';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { buildDataSourceOptions } from '../database/data-source-options';

/**
 * What the admin CLI's commands run on: the configuration, the database (its migrations included), the
 * provisioning of superusers and the security log and audit trail they write. Not AppModule: a one-off
 * command must not prune tables, send the mail outbox, push bans to the SIP proxies or listen for changes.
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    usePasswordBlocklist(config.passwordBlocklist);
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        // A command run by hand reports an unreachable database at once rather than retrying for 30 s.
        TypeOrmModule.forRoot({ ...buildDataSourceOptions(databaseUrl, config.databaseTimeouts), retryAttempts: 0 }),
        AuditTrailModule,
        AdminProvisioningModule,
      ],
    };
  }
}
