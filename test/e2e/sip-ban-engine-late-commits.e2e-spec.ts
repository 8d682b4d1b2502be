import { Client } from 'pg';
import { BanEngineService } from '../../src/sip-security/ban-engine.service';
import { appWithHeldWriter } from '../support/held-writer';
import { sleep, waitFor } from '../support/wait';

const ENV = { SIP_DECOY_USERNAMES: 'admin,root' };

/**
 * The ban engine against writers whose transactions commit out of id order, as Kamailio's queue writer,
 * another proxy and the ingest API do: each draws its ids when it inserts, and commits when it is done. A
 * decoy touch bans on its own, so one the engine's watermark passed before it committed would never ban.
 */
describe('Ban engine: an event committed after a later one is looked at all the same (real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  const held = appWithHeldWriter({ env: ENV });

  const activeBanReason = async (cidr: string): Promise<string | undefined> =>
    (
      await held.t.db.query<{ reason: string }>(
        `SELECT reason FROM sip_bans WHERE cidr = $1::cidr AND id IN (SELECT id FROM sip_active_bans())`,
        [cidr],
      )
    ).rows[0]?.reason;
  /** A door knock; `decoy`: one the proxy marked as touching the decoy `root`. */
  const insertKnock = async (db: Client, source: string, decoy: boolean): Promise<bigint> =>
    BigInt(
      (
        await db.query<{ id: string }>(
          `INSERT INTO door_knock_attempts (source_ip, source_port, method, request_uri, from_uri, to_uri, domain, reason, user_agent)
           VALUES ($1, 5060, 'INVITE', $2, 'sip:x@sip.example.com', $2, 'sip.example.com', $3, 'friendly-scanner')
           RETURNING id::text AS id`,
          [source, decoy ? 'sip:root@sip.example.com' : 'sip:1000@sip.example.com', decoy ? 'decoy' : 'no_auth'],
        )
      ).rows[0].id,
    );
  /** A failed registration (403, counted) for `username`. */
  const insertFailure = async (db: Client, source: string, username: string): Promise<bigint> =>
    BigInt(
      (
        await db.query<{ id: string }>(
          `INSERT INTO failed_registrations (username, domain, source_ip, response_code)
           VALUES ($1, 'sip.example.com', $2, 403) RETURNING id::text AS id`,
          [username, source],
        )
      ).rows[0].id,
    );
  /** Milliseconds from now until `cidr` is banned, at most `timeoutMs`. */
  const msUntilBanned = async (cidr: string, timeoutMs: number): Promise<number> => {
    const from = Date.now();
    await waitFor(activeBanReason.bind(null, cidr), timeoutMs);
    return Date.now() - from;
  };

  it('bans at once the source of a decoy touch whose transaction was still open while the engine read a later id', async () => {
    await held.writer.query('BEGIN');
    const late = await insertKnock(held.writer, '203.0.113.41', true);
    const later = await insertKnock(held.t.db, '192.0.2.41', false);
    expect(later).toBeGreaterThan(late);

    // A look while the earlier id is not yet committed (the one in progress, if any, and this one).
    await held.t.app.get(BanEngineService).evaluate();
    await sleep(300);
    await held.writer.query('COMMIT');

    // The engine's interval is 250 ms: a touch it looks at bans well within a second. One its watermark had
    // passed would ban only at the source's next event.
    expect(await msUntilBanned('203.0.113.41/32', 3_000)).toBeLessThan(1_000);
    expect(await activeBanReason('203.0.113.41/32')).toBe("decoy username 'root' touched");
    expect(await activeBanReason('192.0.2.41/32')).toBeUndefined();
  });

  it('a held.writer holding its transaction open past the lock timeout delays the engine, and nothing is lost', async () => {
    await held.writer.query('BEGIN');
    await insertFailure(held.writer, '203.0.113.42', 'admin');
    const startedAt = Date.now();
    await insertKnock(held.t.db, '203.0.113.43', true);
    // The engine's attempts at the tables' locks hold a new insert up for at most their timeout.
    expect(Date.now() - startedAt).toBeLessThan(1_000);

    // Several of the engine's ticks (250 ms), each giving up on the locks after its timeout: the events
    // after the open held.writer's wait for it, the committed decoy touch included.
    for (let i = 0; i < 6; i += 1) {
      await sleep(250);
      expect(await activeBanReason('203.0.113.43/32')).toBeUndefined();
    }
    await held.writer.query('COMMIT');

    expect(await msUntilBanned('203.0.113.42/32', 3_000)).toBeLessThan(1_000);
    expect(await activeBanReason('203.0.113.42/32')).toBe("decoy username 'admin' touched");
    expect(await activeBanReason('203.0.113.43/32')).toBe("decoy username 'root' touched");
  });

  it('after a held-open insert is rolled back, the events committed meanwhile are looked at by the next ticks', async () => {
    await held.writer.query('BEGIN');
    await insertKnock(held.writer, '203.0.113.44', true);
    await insertKnock(held.t.db, '203.0.113.45', true);
    await sleep(1_000);
    expect(await activeBanReason('203.0.113.45/32')).toBeUndefined();
    // A rolled-back insert announces nothing: the skipped looks themselves must call for another look, well
    // before the 10 s safety look.
    await held.writer.query('ROLLBACK');
    expect(await msUntilBanned('203.0.113.45/32', 3_000)).toBeLessThan(1_500);
    expect(await activeBanReason('203.0.113.44/32')).toBeUndefined();
  });
});
