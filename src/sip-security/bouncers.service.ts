import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { newSecretToken, sha256 } from '../common/secret-token';
import { AdminActor } from './admin-actor';
import { Bouncer, BouncersRepository } from './bouncers.repository';

/** What the creator sees once: the key is never stored or shown again. */
export interface CreatedBouncer {
  bouncer: Bouncer;
  key: string;
}

/** The characters of a key kept to tell keys apart in listings (not enough to guess the rest). */
const KEY_PREFIX_LENGTH = 8;

/** Keys of firewall bouncers: created (shown once), listed, revoked, and checked per request. */
@Injectable()
export class BouncersService {
  constructor(
    private readonly repository: BouncersRepository,
    private readonly auditTrail: AuditTrail,
  ) {}

  list(): Promise<Bouncer[]> {
    return this.repository.findActiveBouncers();
  }

  async create(name: string, actor: AdminActor): Promise<CreatedBouncer> {
    const { token: key, hash } = newSecretToken();
    const bouncer = await this.auditTrail.run(async (tx, record) => {
      const inserted = await this.repository.insertBouncer(
        { name, keySha256: hash, keyPrefix: key.slice(0, KEY_PREFIX_LENGTH), createdBy: actor.id },
        tx,
      );
      await record('admin_action', {
        ip: actor.ip,
        action: 'bouncer_create',
        actor_id: actor.id,
        bouncer_id: inserted.id,
        name,
      });
      return inserted;
    });
    return { bouncer, key };
  }

  async revoke(id: string, actor: AdminActor): Promise<void> {
    await this.auditTrail.run(async (tx, record) => {
      const name = await this.repository.revokeBouncer(id, actor.id, tx);
      if (name === undefined) {
        throw new NotFoundException('Bouncer not found');
      }
      await record('admin_action', {
        ip: actor.ip,
        action: 'bouncer_revoke',
        actor_id: actor.id,
        bouncer_id: id,
        name,
      });
    });
  }

  /** The bouncer's id, or undefined for an unknown or revoked key. */
  authenticate(key: string): Promise<string | undefined> {
    return this.repository.findActiveBouncerIdByKey(sha256(key));
  }
}
