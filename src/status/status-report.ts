import { ProxyStatus } from '../sip-security/proxy-sync.service';
import { FeedStatus } from './feed-status-source';
import { OutboxCounts } from './status.repository';

/** Beyond this the ban engine counts as lagging, as the RegshieldBanEngineLagging alert (deploy/prometheus). */
export const ENGINE_LAG_LIMIT_SECONDS = 30;
/** The outbox's failures counted: those of the last day. */
export const OUTBOX_FAILED_WITHIN_HOURS = 24;

export interface StatusReport {
  checkedAt: Date;
  proxies: ProxyStatus[];
  bouncers: Array<{ id: string; name: string; lastPullAt: Date | null }>;
  feeds: FeedStatus[];
  /** null: the database did not answer. */
  outbox: OutboxCounts | null;
  banEngineLagSeconds: number | null;
  databaseUp: boolean;
  /** null: REDIS_URL is unset. */
  redisUp: boolean | null;
}

/**
 * What is wrong, in words, one line each; empty when all is well. The console's navigation shows a badge
 * while there is any, and the live stream's `status` event carries them.
 */
export function statusProblems(report: StatusReport): string[] {
  const problems: string[] = [];
  if (!report.databaseUp) problems.push('The database does not answer');
  if (report.redisUp === false) problems.push('Redis does not answer');
  for (const proxy of report.proxies) {
    if (proxy.inStep === false) problems.push(`Proxy ${proxy.url} is out of step`);
  }
  if (report.banEngineLagSeconds !== null && report.banEngineLagSeconds > ENGINE_LAG_LIMIT_SECONDS) {
    problems.push(`The ban engine is ${Math.round(report.banEngineLagSeconds)} s behind`);
  }
  if (report.outbox !== null && report.outbox.failed > 0) {
    problems.push(`${report.outbox.failed} e-mails failed in the last ${OUTBOX_FAILED_WITHIN_HOURS} hours`);
  }
  for (const feed of report.feeds) {
    if (!feed.healthy) problems.push(`Feed ${feed.name} is failing`);
  }
  return problems;
}
