import { ConflictException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { AdminActor } from '../sip-security/admin-actor';
import { FeedFormat, FeedState, SipFeedsRepository } from './sip-feeds.repository';

export interface FeedRequest {
  name: string;
  url: string;
  format: FeedFormat;
  intervalSeconds: number;
  apiKey: string | null;
  banDurationSeconds: number | null;
}

/** A feed with the entries it could not ban (allowlisted, too wide), as GET /feeds/{id} shows them. */
export interface FeedDetail {
  feed: FeedState;
  skippedEntries: Array<{ cidr: string; skipped: 'allowlisted' | 'too_wide' }>;
}

/** The most skipped entries one answer lists (their counts are always complete). */
const MAX_SKIPPED_SHOWN = 1000;

/** Feeds as admins manage them: created, listed, shown, deleted (its bans lifted with it), each change audited. */
@Injectable()
export class FeedsService {
  constructor(
    private readonly repository: SipFeedsRepository,
    private readonly auditTrail: AuditTrail,
  ) {}

  list(): Promise<FeedState[]> {
    return this.repository.findAllFeeds();
  }

  async get(id: string): Promise<FeedDetail> {
    const feed = await this.repository.findFeed(id);
    if (feed === undefined) throw new NotFoundException('Feed not found');
    return { feed, skippedEntries: await this.repository.findSkippedEntries(id, MAX_SKIPPED_SHOWN) };
  }

  async create(request: FeedRequest, actor: AdminActor): Promise<FeedState> {
    const keyed = request.format !== 'plain';
    if (keyed && request.apiKey === null) {
      throw new UnprocessableEntityException([`api_key is required for a ${request.format} feed`]);
    }
    if (!keyed && request.apiKey !== null) {
      throw new UnprocessableEntityException(['api_key is sent only to apiban and crowdsec feeds']);
    }
    return this.auditTrail.run(async (tx, record) => {
      const feed = await this.repository.insertFeed({ ...request, createdBy: actor.id }, tx);
      if (feed === undefined) throw new ConflictException(`A feed named ${request.name} exists already`);
      await record('admin_action', {
        ip: actor.ip,
        action: 'feed_create',
        actor_id: actor.id,
        feed_id: feed.id,
        name: feed.name,
        url: feed.url,
        format: feed.format,
      });
      return feed;
    });
  }

  async delete(id: string, actor: AdminActor): Promise<void> {
    await this.auditTrail.run(async (tx, record) => {
      const deleted = await this.repository.deleteFeedLiftingBans(id, actor.id, tx);
      if (deleted === undefined) throw new NotFoundException('Feed not found');
      await record('admin_action', {
        ip: actor.ip,
        action: 'feed_delete',
        actor_id: actor.id,
        feed_id: id,
        name: deleted.name,
        bans_lifted: deleted.lifted,
      });
    });
  }
}
