import { DataSourceOptions } from 'typeorm';
import { DoorKnockAttempt } from './entities/door-knock-attempt.entity';
import { FailedRegistration } from './entities/failed-registration.entity';
import { SipAllowlistEntry } from './entities/sip-allowlist-entry.entity';
import { SipBan } from './entities/sip-ban.entity';
import { User } from './entities/user.entity';
import { CreateUsers1764000000000 } from './migrations/1764000000000-CreateUsers';
import { CreateSipSecurity1764000001000 } from './migrations/1764000001000-CreateSipSecurity';
import { SipActiveBansAndAllowlistOrigin1764000002100 } from './migrations/1764000002100-SipActiveBansAndAllowlistOrigin';
import { SipEventFilterIndexes1764000003500 } from './migrations/1764000003500-SipEventFilterIndexes';

export const ENTITIES = [User, FailedRegistration, DoorKnockAttempt, SipBan, SipAllowlistEntry];
export const MIGRATIONS = [
  CreateUsers1764000000000,
  CreateSipSecurity1764000001000,
  SipActiveBansAndAllowlistOrigin1764000002100,
  SipEventFilterIndexes1764000003500,
];

/** The one description of how the app (and the TypeORM CLI, through ormconfig.ts) reaches its database. */
export function buildDataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Not 'error' or 'query': TypeORM would print query parameters, password hashes among them.
    logging: ['migration'],
    extra: { max: 20, application_name: 'regshield' },
  };
}
