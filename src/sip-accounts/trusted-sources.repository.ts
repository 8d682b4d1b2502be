import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { countedResponseCodeSql } from '../sip-security/digest-challenge';

/** A trusted source among the ban engine's offenders, with its counted events (capped at the trusted limit). */
export interface TrustedOffender {
  unit: string;
  hits: number;
}

/** A username a trusted source keeps failing to register, not yet blocked from that source. */
export interface FailingUsername {
  username: string;
  domain: string;
  sourceIp: string;
  failures: number;
  previousBlocks: number;
}

export interface TrustSettings {
  findTimeSeconds: number;
  trustTtlSeconds: number;
  maxRetry: number;
  trustedMaxRetry: number;
}

/** A unit's rows by range on the (source_ip, created_at) indexes, as the ban engine reads them. */
const IN_UNIT = (alias: string) =>
  `${alias}.source_ip BETWEEN host(network(u.unit))::inet AND host(broadcast(u.unit))::inet AND ${alias}.source_ip <<= u.unit`;

/**
 * The trust rule on the unit u.unit: it registered an account within the trust TTL and never drew a compromise alert.
 * One text for the ban engine's look and the source page, so they cannot disagree.
 */
const TRUSTED_UNIT = (trustTtlParam: string) =>
  `EXISTS (SELECT 1 FROM registration_successes r
            WHERE ${IN_UNIT('r')} AND r.created_at > now() - make_interval(secs => ${trustTtlParam}))
   AND NOT EXISTS (SELECT 1 FROM sip_account_alerts a
                    WHERE a.kind = 'credential_compromise' AND a.source_ip <<= u.unit)`;

/** The trusted-source rule's reads: in the ban engine's transaction, and for the source page. */
@Injectable()
export class TrustedSourcesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Whether the unit of an address (itself, or its IPv6 prefix) is trusted now. */
  async isTrustedUnit(ip: string, ipv6Prefix: number, trustTtlSeconds: number): Promise<boolean> {
    const [{ trusted }] = await this.dataSource.query<Array<{ trusted: boolean }>>(
      `SELECT ${TRUSTED_UNIT('$3')} AS trusted
         FROM (SELECT network(set_masklen($1::inet, CASE family($1::inet) WHEN 4 THEN 32 ELSE $2 END))::cidr AS unit) u`,
      [ip, ipv6Prefix, trustTtlSeconds],
    );
    return trusted;
  }

  /**
   * Of these units, those that registered an account within the trust TTL and never drew a compromise alert,
   * with their counted events in the window (since their last automatic ban), counted up to the trusted limit.
   */
  findTrustedOffenders(manager: EntityManager, units: string[], settings: TrustSettings): Promise<TrustedOffender[]> {
    return manager.query(
      `SELECT u.unit::text AS unit,
              (SELECT count(*) FROM (SELECT 1 FROM failed_registrations f
                 WHERE ${IN_UNIT('f')} AND f.created_at > w.since AND ${countedResponseCodeSql('f.response_code')}
                 LIMIT $4) capped)::int
            + (SELECT count(*) FROM (SELECT 1 FROM door_knock_attempts d
                 WHERE ${IN_UNIT('d')} AND d.created_at > w.since LIMIT $4) capped)::int AS hits
         FROM unnest($1::cidr[]) AS u(unit)
         CROSS JOIN LATERAL (
           SELECT GREATEST(now() - make_interval(secs => $2),
                           (SELECT max(created_at) FROM sip_bans b WHERE b.cidr = u.unit AND b.source = 'auto')) AS since
         ) w
        WHERE ${TRUSTED_UNIT('$3')}`,
      [units, settings.findTimeSeconds, settings.trustTtlSeconds, settings.trustedMaxRetry],
    );
  }

  /**
   * The usernames these units failed to register at least maxRetry times within the window (since that
   * username's last block from that address), without a block in force for them from there.
   */
  findFailingUsernames(manager: EntityManager, units: string[], settings: TrustSettings): Promise<FailingUsername[]> {
    return manager.query(
      `WITH failing AS (
         SELECT f.username, lower(f.domain) AS domain, regshield_unmap_ipv4(f.source_ip) AS source, count(*)::int AS failures
           FROM unnest($1::cidr[]) AS u(unit)
           JOIN failed_registrations f ON ${IN_UNIT('f')}
          WHERE f.created_at > now() - make_interval(secs => $2) AND ${countedResponseCodeSql('f.response_code')}
            AND f.username IS NOT NULL AND f.domain IS NOT NULL
          GROUP BY f.username, lower(f.domain), regshield_unmap_ipv4(f.source_ip)
       )
       SELECT username, domain, host(source) AS "sourceIp", failures,
              (SELECT count(*)::int FROM sip_account_blocks b
                WHERE b.username = failing.username AND b.domain = failing.domain AND b.source_ip = failing.source)
                AS "previousBlocks"
         FROM failing
        -- failures before that username's last block from that address do not count again
        WHERE (SELECT count(*) FROM failed_registrations f
                WHERE f.source_ip = failing.source AND f.username = failing.username
                  AND lower(f.domain) = failing.domain AND ${countedResponseCodeSql('f.response_code')}
                  AND f.created_at > GREATEST(now() - make_interval(secs => $2),
                        (SELECT max(b.created_at) FROM sip_account_blocks b
                          WHERE b.username = failing.username AND b.domain = failing.domain
                            AND b.source_ip = failing.source))) >= $3
          AND NOT EXISTS (SELECT 1 FROM sip_account_blocks b
                           WHERE b.username = failing.username AND b.domain = failing.domain
                             AND (b.source_ip IS NULL OR b.source_ip = failing.source)
                             AND b.lifted_at IS NULL AND (b.expires_at IS NULL OR b.expires_at > now()))`,
      [units, settings.findTimeSeconds, settings.maxRetry],
    );
  }
}
