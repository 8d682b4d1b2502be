import { Client } from 'pg';
import { AccountWatchService } from '../../src/sip-accounts/account-watch.service';
import { appWithHeldWriter } from '../support/held-writer';
import { sleep, waitFor } from '../support/wait';

const DOMAIN = 'sip.example.com';

/**
 * The account watch against writers whose transactions commit out of id order, as the proxy's queue writer,
 * another proxy and the ingest API do: each draws its ids when it inserts, and commits when it is done.
 */
describe('Account watch: a success committed after a later one is evaluated all the same (real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  const held = appWithHeldWriter();

  const watchedUpTo = async (): Promise<bigint> =>
    BigInt(
      (await held.t.db.query<{ id: string }>('SELECT last_registration_id::text AS id FROM sip_account_watch_state'))
        .rows[0].id,
    );
  const compromiseAlerts = async (username: string): Promise<string[]> =>
    (
      await held.t.db.query<{ registration_id: string }>(
        `SELECT registration_id::text AS registration_id FROM sip_account_alerts
          WHERE kind = 'credential_compromise' AND username = $1 ORDER BY id`,
        [username],
      )
    ).rows.map((row) => row.registration_id);
  /** Failures of `username` from `source` within SIP_BAN_FIND_TIME: a success of it from there is a compromise. */
  const failuresOf = (username: string, source: string) =>
    held.t.db.query(
      `INSERT INTO failed_registrations (username, domain, source_ip, response_code, created_at)
       SELECT $1, $2, $3, 403, now() - interval '1 minute' FROM generate_series(1, 2)`,
      [username, DOMAIN, source],
    );
  const insertSuccess = async (db: Client, username: string, source: string): Promise<bigint> =>
    BigInt(
      (
        await db.query<{ id: string }>(
          `INSERT INTO registration_successes (username, domain, source_ip) VALUES ($1, $2, $3) RETURNING id::text AS id`,
          [username, DOMAIN, source],
        )
      ).rows[0].id,
    );

  it('raises the alert of a success whose transaction was still open while the watch evaluated a later id', async () => {
    await failuresOf('3100', '203.0.113.31');
    await held.writer.query('BEGIN');
    const late = await insertSuccess(held.writer, '3100', '203.0.113.31');
    const later = await insertSuccess(held.t.db, '3101', '198.51.100.31');
    expect(later).toBeGreaterThan(late);

    // A look while the earlier id is not yet committed (the one in progress, if any, and this one).
    await held.t.app.get(AccountWatchService).evaluate();
    await held.writer.query('COMMIT');

    await waitFor(async () => ((await watchedUpTo()) >= later ? true : undefined), 5_000);
    // Time for the look the commit announced: a watermark already past the row would find nothing there.
    await sleep(1_000);
    expect(await compromiseAlerts('3100')).toEqual([String(late)]);
  });

  it('a held.writer holding its transaction open past the lock timeout delays the watch, and nothing is lost', async () => {
    await failuresOf('3200', '203.0.113.32');
    await failuresOf('3201', '203.0.113.33');
    await held.writer.query('BEGIN');
    const late = await insertSuccess(held.writer, '3200', '203.0.113.32');
    const startedAt = Date.now();
    const later = await insertSuccess(held.t.db, '3201', '203.0.113.33');
    // The watch's attempts at the table's lock hold a new insert up for at most their timeout.
    expect(Date.now() - startedAt).toBeLessThan(1_000);

    // Several of the watch's ticks (250 ms), each giving up on the lock after its timeout.
    for (let i = 0; i < 6; i += 1) {
      await sleep(250);
      expect(await watchedUpTo()).toBeLessThan(late);
    }
    expect(await compromiseAlerts('3201')).toEqual([]);
    await held.writer.query('COMMIT');

    await waitFor(async () => ((await watchedUpTo()) >= later ? true : undefined), 5_000);
    expect(await compromiseAlerts('3200')).toEqual([String(late)]);
    expect(await compromiseAlerts('3201')).toEqual([String(later)]);
  });

  it('after a held-open insert is rolled back, the successes announced meanwhile are evaluated at the next ticks', async () => {
    await failuresOf('3301', '203.0.113.34');
    await held.writer.query('BEGIN');
    const rolledBack = await insertSuccess(held.writer, '3300', '198.51.100.34');
    const later = await insertSuccess(held.t.db, '3301', '203.0.113.34');
    await sleep(1_000);
    expect(await watchedUpTo()).toBeLessThan(rolledBack);
    // A rolled-back insert announces nothing: the skipped looks themselves must call for another look,
    // well before the 10 s safety look.
    await held.writer.query('ROLLBACK');
    const rolledBackAt = Date.now();
    await waitFor(async () => ((await watchedUpTo()) >= later ? true : undefined), 5_000);
    expect(Date.now() - rolledBackAt).toBeLessThan(3_000);
    expect(await compromiseAlerts('3301')).toEqual([String(later)]);
  });
});
