import { Injectable } from '@nestjs/common';
import { normalizeIp } from '../common/cidr';
import { IngestResult } from '../sip-security/sip-events.service';
import { RegistrationSuccessEvent } from '../sip-security/event-schemas';
import { RegistrationSuccessesRepository } from './registration-successes.repository';

/**
 * Stores the successful registrations a proxy reports through the API (those kamailio.cfg writes itself go
 * straight to the table); the account watch evaluates both alike.
 */
@Injectable()
export class RegistrationIngestService {
  constructor(private readonly repository: RegistrationSuccessesRepository) {}

  async ingest(events: RegistrationSuccessEvent[]): Promise<IngestResult> {
    await this.repository.insertSuccesses(
      events.map((event) => ({ ...event, source_ip: normalizeIp(event.source_ip) })),
    );
    return { accepted: events.length, ignored: 0 };
  }
}
