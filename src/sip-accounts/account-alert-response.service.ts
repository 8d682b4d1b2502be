import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AccountUsersRepository } from '../account/account-users.repository';
import { RecordAuditEvent } from '../audit/audit-trail.service';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { LiveEvents } from '../live/live-events.service';
import { SipBan } from '../database/entities/sip-ban.entity';
import { MailService } from '../mail/mail.service';
import { banDurationSeconds } from '../sip-security/ban-engine.service';
import { automaticBanEvidence } from '../sip-security/ban-reason';
import { SipBansRepository } from '../sip-security/sip-bans.repository';
import { AccountAlert, AccountAlertsRepository, NewAccountAlert } from './account-alerts.repository';
import { AccountBlock } from './account-blocks.repository';
import { AccountBlocksService } from './account-blocks.service';
import { compromiseReason, CompromiseRule } from './account-rules';
import { accountCompromisedEmail } from './emails/account-compromised.email';
import { RegistrationFacts } from './registration-successes.repository';

/** What one alert did, for the caller to act on once its transaction has committed. */
export interface AlertOutcome {
  alert: AccountAlert;
  ban?: SipBan;
  block?: AccountBlock;
}

/**
 * What an account rule that fired does, inside the watch's transaction: the alert, and for a compromise
 * the source's ban (reason naming the account), the account's block (SIP_COMPROMISE_ACTION=block), the
 * superusers' e-mails through the outbox and the security event; for a new network or country, the alert
 * and a block only with SIP_NEW_NETWORK_ACTION=block.
 */
@Injectable()
export class AccountAlertResponseService {
  constructor(
    private readonly alerts: AccountAlertsRepository,
    private readonly blocks: AccountBlocksService,
    private readonly bans: SipBansRepository,
    private readonly users: AccountUsersRepository,
    private readonly mail: MailService,
    private readonly live: LiveEvents,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async respondToCompromise(
    success: RegistrationFacts,
    rule: CompromiseRule,
    tx: EntityManager,
    record: RecordAuditEvent,
  ): Promise<AlertOutcome> {
    const reason = compromiseReason(rule, success.username, success.domain);
    const alert = await this.raise(
      {
        kind: 'credential_compromise',
        username: success.username,
        domain: success.domain,
        sourceIp: success.sourceIp,
        country: null,
        evidence: {
          rule,
          registration_id: success.id,
          registered_at: new Date(success.createdAt).toISOString(),
          user_agent: success.userAgent,
          failed_for_account: success.failedForAccount,
          usernames_tried: success.usernamesTried,
          ban_id: success.banId,
          ban_reason: success.banReason,
        },
        registrationId: success.id,
      },
      tx,
    );
    const ban = success.allowlisted ? undefined : await this.banSource(success.unit, reason, tx);
    const block =
      this.config.sipAccounts.compromiseAction === 'block'
        ? await this.blocks.createAutomatic(
            {
              username: success.username,
              domain: success.domain,
              sourceIp: null,
              reason,
              alertId: alert.id,
              durationSeconds: null,
            },
            tx,
          )
        : undefined;
    const consequences = [
      ban
        ? `The source ${ban.cidr} is banned at the proxy.`
        : success.allowlisted
          ? 'The source is allowlisted, so it was not banned.'
          : 'The source was already banned.',
      block
        ? 'The account is blocked at the proxy: every REGISTER and INVITE for it is refused until an admin unblocks it.'
        : 'The account is not blocked (SIP_COMPROMISE_ACTION=alert).',
    ];
    for (const admin of await this.users.findActiveSuperusers(tx)) {
      await this.mail.enqueue(accountCompromisedEmail(admin, alert, consequences, this.config.publicUrl), tx);
    }
    await record('sip_account_compromised', {
      ip: success.sourceIp,
      alert_id: alert.id,
      username: success.username,
      domain: success.domain,
      rule,
      ban_id: ban?.id ?? null,
      block_id: block?.id ?? null,
    });
    return { alert, ban, block };
  }

  async respondToNewNetwork(
    success: RegistrationFacts,
    kind: 'new_network' | 'new_country',
    country: string | undefined,
    knownCountries: string[],
    tx: EntityManager,
    record: RecordAuditEvent,
  ): Promise<AlertOutcome> {
    const alert = await this.raise(
      {
        kind,
        username: success.username,
        domain: success.domain,
        sourceIp: success.sourceIp,
        country: country ?? null,
        evidence: {
          registration_id: success.id,
          registered_at: new Date(success.createdAt).toISOString(),
          user_agent: success.userAgent,
          earlier_registrations: success.historyCount,
          earlier_sources: success.historySources.slice(0, 20),
          ...(country !== undefined && { earlier_countries: knownCountries }),
        },
        registrationId: success.id,
      },
      tx,
    );
    const block =
      this.config.sipAccounts.newNetworkAction === 'block'
        ? await this.blocks.createAutomatic(
            {
              username: success.username,
              domain: success.domain,
              sourceIp: null,
              reason: `${kind.replace('_', ' ')}: registered from ${success.sourceIp}${country ? ` (${country})` : ''}`,
              alertId: alert.id,
              durationSeconds: null,
            },
            tx,
          )
        : undefined;
    await record('sip_account_new_network', {
      ip: success.sourceIp,
      alert_id: alert.id,
      kind,
      username: success.username,
      domain: success.domain,
      country: country ?? null,
      block_id: block?.id ?? null,
    });
    return { alert, block };
  }

  /** The engine's kind of ban (source `auto`, growing for a repeat offender), unless already banned. */
  /** Stores the alert and tells the open consoles (the live stream's `account_alert`) when `tx` commits. */
  private async raise(newAlert: NewAccountAlert, tx: EntityManager): Promise<AccountAlert> {
    const alert = await this.alerts.insertAlert(newAlert, tx);
    await this.live.publish(
      'account_alert',
      {
        id: Number(alert.id),
        kind: alert.kind,
        username: alert.username,
        domain: alert.domain,
        source_ip: alert.sourceIp,
        country: alert.country,
        created_at: alert.createdAt,
      },
      tx,
    );
    return alert;
  }

  private async banSource(unit: string, reason: string, tx: EntityManager): Promise<SipBan | undefined> {
    const eligibility = (await this.bans.findBanEligibilities(tx, [unit])).get(unit);
    if (!eligibility || eligibility.allowlisted || eligibility.banned) return undefined;
    const { sipBan } = this.config;
    const activity = await this.bans.summarizeUnitActivity(tx, [unit], sipBan.findTimeSeconds);
    const evidence = {
      ...automaticBanEvidence(undefined, activity.get(unit), sipBan),
      rule: 'credential_compromise' as const,
    };
    const [ban] = await this.bans.insertAutomaticBans(tx, [
      { unit, reason, durationSeconds: banDurationSeconds(sipBan, eligibility.previousAutomaticBans), evidence },
    ]);
    return ban;
  }
}
