import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditTrail, RecordAuditEvents } from '../audit/audit-trail.service';
import { ADMIN_REQUIRED } from '../auth/guards/superuser.guard';
import { isDatabaseUnavailable } from '../common/database-unavailable';
import { isWellFormedId } from '../common/id-param.pipes';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { User } from '../database/entities/user.entity';
import { MailService } from '../mail/mail.service';
import { AdminUsersRepository } from './admin-users.repository';
import { AdminAction, adminActionFields, changeOf, refusalOf, USER_NOT_FOUND } from './admin-users.service';
import { accountActivatedEmail } from './emails/account-activated.email';

/** What became of one id of a bulk action: the user as changed, or the single route's error status and message. */
export type BulkOutcome =
  { id: string; ok: true; user: User } | { id: string; ok: false; statusCode: number; message: string };

type Refusal = Extract<BulkOutcome, { ok: false }>;

/** What the single route would decide for one id, from the rows as locked: the target to change, or the refusal. */
export type BulkDecision = { id: string; ok: true; target: User } | Refusal;

/**
 * The single route's decision for each id (AdminUsersService.apply: 403 for an actor who is no longer an
 * active superuser, then 404 for an unknown target, then the action's rule as a 400), made on the actor's
 * and targets' rows as locked. A target is matched by its id exactly as sent, as the single route does.
 */
export function decideEach(action: AdminAction, actorId: string, ids: string[], lockedRows: User[]): BulkDecision[] {
  const rowsById = new Map(lockedRows.map((row) => [row.id, row]));
  const actor = rowsById.get(actorId);
  return ids.map((id): BulkDecision => {
    if (!actor?.isSuperuser || !actor.isActive) return { id, ok: false, statusCode: 403, message: ADMIN_REQUIRED };
    const target = rowsById.get(id);
    if (!target) return { id, ok: false, statusCode: 404, message: USER_NOT_FOUND };
    const refusal = refusalOf(action, actor, target);
    return refusal === undefined ? { id, ok: true, target } : { id, ok: false, statusCode: 400, message: refusal };
  });
}

/**
 * An admin action on up to 1000 ids at once, each id answered as its single route would answer it, with the
 * same audit row and log line and the same e-mail; but set-wise, in one transaction of a few statements
 * whatever the number of ids (one transaction and its commit per id cost 4 to 18 s for 1000).
 */
@Injectable()
export class BulkAdminActionsService {
  private readonly logger = new Logger(BulkAdminActionsService.name);

  constructor(
    private readonly users: AdminUsersRepository,
    private readonly auditTrail: AuditTrail,
    private readonly mail: MailService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * One outcome per id, in request order. A malformed id is 404 without a query. The rest are decided on
   * their rows locked together (in id order, as the single route locks its two, so the two never deadlock),
   * and the accepted ones changed by one UPDATE, their audit rows and activation e-mails inserted by one
   * statement each, all in one transaction; the log lines follow the commit, one per id changed. A refused
   * id is only left out, so it undoes nothing done for the others. Should the database stop answering (503)
   * or something unexpected fail (500, logged), nothing was done and every well-formed id gets that answer.
   */
  async applyToAll(action: AdminAction, actorId: string, ids: string[], ip: string): Promise<BulkOutcome[]> {
    const wellFormed = await Promise.all(ids.map((id) => isWellFormedId(id)));
    const candidates = ids.filter((_id, index) => wellFormed[index]);
    let outcomes = new Map<string, BulkOutcome>();
    if (candidates.length > 0) {
      try {
        outcomes = await this.auditTrail.run((tx, _record, recordAll) =>
          this.applyLocked(action, actorId, candidates, ip, tx, recordAll),
        );
      } catch (error) {
        const halted = this.halted(action, error);
        outcomes = new Map(candidates.map((id) => [id, { id, ok: false, ...halted }]));
      }
    }
    return ids.map((id) => outcomes.get(id) ?? { id, ok: false, statusCode: 404, message: USER_NOT_FOUND });
  }

  private async applyLocked(
    action: AdminAction,
    actorId: string,
    ids: string[],
    ip: string,
    tx: EntityManager,
    recordAll: RecordAuditEvents,
  ): Promise<Map<string, BulkOutcome>> {
    const decisions = decideEach(action, actorId, ids, await this.users.lockActorAndTargets(actorId, ids, tx));
    const accepted = decisions.filter((decision) => decision.ok);
    const changed = new Map(
      (
        await this.users.changeAll(
          accepted.map(({ target }) => target.id),
          changeOf(action),
          tx,
        )
      ).map((user) => [user.id, user]),
    );
    if (action === 'activate') {
      const notices = accepted
        .filter(({ target }) => !target.isActive)
        .map(({ target }) => accountActivatedEmail(changed.get(target.id)!, this.config.publicUrl));
      await this.mail.enqueueAll(notices, tx);
    }
    await recordAll(
      'admin_action',
      accepted.map(({ target }) => adminActionFields(action, actorId, changed.get(target.id)!, ip)),
    );
    return new Map(
      decisions.map((decision): [string, BulkOutcome] => [
        decision.id,
        decision.ok ? { id: decision.id, ok: true, user: changed.get(decision.target.id)! } : decision,
      ]),
    );
  }

  private halted(action: AdminAction, error: unknown): { statusCode: number; message: string } {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    if (isDatabaseUnavailable(error)) {
      this.logger.warn(`Bulk ${action} not done, database unavailable: ${detail}`);
      return { statusCode: 503, message: 'Database unavailable' };
    }
    this.logger.error(`Bulk ${action} not done: ${detail}`);
    return { statusCode: 500, message: 'Internal server error' };
  }
}
