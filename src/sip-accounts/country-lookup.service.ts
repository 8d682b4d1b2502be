import { Injectable, OnModuleInit } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { CountryResponse, Reader } from 'maxmind';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

/**
 * The country of an address, from the MaxMind-format database GEOIP_DB names (read whole into memory at
 * start: a lookup is a walk of its tree, microseconds). Without GEOIP_DB every answer is undefined, and the
 * account rules use networks only.
 */
@Injectable()
export class CountryLookupService implements OnModuleInit {
  private reader?: Reader<CountryResponse>;

  constructor(@InjectConfig() private readonly config: AppConfig) {}

  onModuleInit(): void {
    const path = this.config.sipAccounts.geoipDb;
    if (path === undefined) return;
    try {
      this.reader = new Reader<CountryResponse>(readFileSync(path));
    } catch (error) {
      throw new Error(`GEOIP_DB: ${path} is not a MaxMind-format database (${(error as Error).message})`, {
        cause: error,
      });
    }
  }

  get enabled(): boolean {
    return this.reader !== undefined;
  }

  /** The ISO 3166 code of the address's country, or undefined (no database, or not placed by it). */
  countryOf(ip: string): string | undefined {
    const record = this.reader?.get(ip);
    if (!record) return undefined;
    // MaxMind's databases keep the code at country.iso_code; the free ip-location-db ones (same format) at
    // country_code.
    const code = record.country?.iso_code ?? ('country_code' in record ? record.country_code : undefined);
    return typeof code === 'string' && code !== '' ? code.toUpperCase() : undefined;
  }
}
