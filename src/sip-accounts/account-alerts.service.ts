import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.service';
import { Page } from '../common/total-count';
import { AdminActor } from '../sip-security/admin-actor';
import { AccountAlert, AccountAlertFilter, AccountAlertsRepository } from './account-alerts.repository';

/** The admins' side of account alerts: the listing, and marking one handled (audited). */
@Injectable()
export class AccountAlertsService {
  constructor(
    private readonly repository: AccountAlertsRepository,
    private readonly auditTrail: AuditTrail,
  ) {}

  list(filter: AccountAlertFilter): Promise<Page<AccountAlert>> {
    return this.repository.findAlerts(filter);
  }

  resolve(id: string, actor: AdminActor): Promise<AccountAlert> {
    return this.auditTrail.run(async (tx, record) => {
      const alert = await this.repository.resolveAlert(id, actor.id, tx);
      if (alert === undefined) throw new NotFoundException('Account alert not found');
      await record('sip_account_alert_resolved', {
        ip: actor.ip,
        actor_id: actor.id,
        alert_id: alert.id,
        kind: alert.kind,
        username: alert.username,
        domain: alert.domain,
      });
      return alert;
    });
  }
}
