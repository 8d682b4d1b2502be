import { TOTAL_COUNT_CAP } from '../../src/common/total-count';
import { EventRetentionService } from '../../src/sip-security/event-retention.service';
import { RETENTION_LOCK_KEY } from '../../src/sip-security/sip-events.repository';
import { ADMIN, closeAll, startTestApp, TestApp } from '../support/test-app';

/** Inserts `count` rows as the proxy may, with plain SQL, `age` old (a PostgreSQL interval). */
async function insertFailedRegistrations(t: TestApp, count: number, age: string, tag: string, username = '1000') {
  await t.db.query(
    `INSERT INTO failed_registrations (username, domain, source_ip, response_code, user_agent, created_at)
     SELECT $1, 'sip.example.com', '192.0.2.77', 403, $2, now() - $3::interval FROM generate_series(1, $4)`,
    [username, tag, age, count],
  );
}

async function insertDoorKnocks(t: TestApp, count: number, age: string, tag: string) {
  await t.db.query(
    `INSERT INTO door_knock_attempts (source_ip, reason, user_agent, created_at)
     SELECT '192.0.2.78', 'unknown_domain', $1, now() - $2::interval FROM generate_series(1, $3)`,
    [tag, age, count],
  );
}

async function countTagged(t: TestApp, table: string, tag: string): Promise<number> {
  const { rows } = await t.db.query(`SELECT count(*)::int AS count FROM ${table} WHERE user_agent = $1`, [tag]);
  return (rows[0] as { count: number }).count;
}

describe('SIP events at scale (real HTTP, real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { SIP_EVENT_RETENTION_DAYS: '30' } });
    admin = await t.login(ADMIN.email, ADMIN.password);
  });
  afterAll(() => closeAll(t));

  describe('retention (SIP_EVENT_RETENTION_DAYS)', () => {
    it('deletes events older than the retention, keeps newer ones, bans and the allowlist', async () => {
      // More expired rows than one batch holds, so that the pass has to go on past its first DELETE.
      await insertFailedRegistrations(t, 12_001, '31 days', 'expired');
      await insertFailedRegistrations(t, 5, '29 days', 'kept');
      await insertFailedRegistrations(t, 5, '1 minute', 'kept');
      await insertDoorKnocks(t, 7, '400 days', 'expired');
      await insertDoorKnocks(t, 3, '29 days', 'kept');
      await t.db.query(
        `INSERT INTO sip_bans (cidr, reason, source, created_at, expires_at)
         VALUES ('192.0.2.77/32', 'retention test', 'manual', now() - interval '400 days', NULL)`,
      );
      await t.db.query(`INSERT INTO sip_allowlist (cidr, description) VALUES ('198.51.100.0/24', 'retention test')`);

      const result = await t.app.get(EventRetentionService).purgeExpiredEvents();

      // A new database has partitions from today on: older rows are in the DEFAULT partition, deleted in batches.
      expect(result).toEqual({
        failed_registrations: { droppedPartitions: 0, deletedRows: 12_001 },
        door_knock_attempts: { droppedPartitions: 0, deletedRows: 7 },
        registration_successes: { droppedPartitions: 0, deletedRows: 0 },
      });
      expect(await countTagged(t, 'failed_registrations', 'expired')).toBe(0);
      expect(await countTagged(t, 'door_knock_attempts', 'expired')).toBe(0);
      expect(await countTagged(t, 'failed_registrations', 'kept')).toBe(10);
      expect(await countTagged(t, 'door_knock_attempts', 'kept')).toBe(3);
      const bans = await t.db.query(`SELECT 1 FROM sip_bans WHERE reason = 'retention test'`);
      expect(bans.rowCount).toBe(1);
      const allowlist = await t.db.query(`SELECT 1 FROM sip_allowlist WHERE description = 'retention test'`);
      expect(allowlist.rowCount).toBe(1);
    });

    it('runs on one instance at a time: while another holds the lock, a pass deletes nothing', async () => {
      await insertFailedRegistrations(t, 3, '31 days', 'locked-out');
      await t.db.query('SELECT pg_advisory_lock($1)', [RETENTION_LOCK_KEY]);
      try {
        expect(await t.app.get(EventRetentionService).purgeExpiredEvents()).toBeUndefined();
        expect(await countTagged(t, 'failed_registrations', 'locked-out')).toBe(3);
      } finally {
        await t.db.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      }
      const result = await t.app.get(EventRetentionService).purgeExpiredEvents();
      expect(result?.failed_registrations.deletedRows).toBe(3);
    });

    it('keeps everything with SIP_EVENT_RETENTION_DAYS=0', async () => {
      const forever = await startTestApp({ databaseUrl: t.databaseUrl, env: { SIP_EVENT_RETENTION_DAYS: '0' } });
      try {
        await insertFailedRegistrations(t, 2, '3650 days', 'forever');
        expect(await forever.app.get(EventRetentionService).purgeExpiredEvents()).toBeUndefined();
        expect(await countTagged(t, 'failed_registrations', 'forever')).toBe(2);
      } finally {
        await forever.close();
      }
    });
  });

  describe('X-Total-Count on the event listings', () => {
    const list = (query: string) =>
      t.http
        .get(`/api/sip-security/failed-registrations?${query}`)
        .set({ Authorization: `Bearer ${admin}` })
        .expect(200);

    it(`counts at most ${TOTAL_COUNT_CAP} rows past the page's start, and says so when there are more`, async () => {
      await insertFailedRegistrations(t, TOTAL_COUNT_CAP + 2, '1 minute', 'many', 'capped-count');

      const first = await list('username=capped-count&limit=10');
      expect(first.body).toHaveLength(10);
      expect(first.headers['x-total-count']).toBe(String(TOTAL_COUNT_CAP));
      expect(first.headers['x-total-count-capped']).toBe('true');

      // From skip=5 the count reaches 5 + the cap, which covers every matching row: exact again.
      const later = await list('username=capped-count&limit=10&skip=5');
      expect(later.headers['x-total-count']).toBe(String(TOTAL_COUNT_CAP + 2));
      expect(later.headers['x-total-count-capped']).toBe('false');
    });

    it('documents both headers in the OpenAPI document', async () => {
      const document = (await t.http.get('/docs-json').expect(200)).body as {
        paths: Record<string, { get: { responses: Record<string, { headers: Record<string, unknown> }> } }>;
      };
      for (const path of ['/api/sip-security/failed-registrations', '/api/sip-security/door-knocks']) {
        const headers = document.paths[path].get.responses['200'].headers;
        expect(Object.keys(headers).sort()).toEqual(['X-Total-Count', 'X-Total-Count-Capped']);
      }
    });

    it('is exact, and says so, when fewer rows match', async () => {
      await insertFailedRegistrations(t, 3, '1 minute', 'few', 'few-rows');
      const response = await list('username=few-rows');
      expect(response.body).toHaveLength(3);
      expect(response.headers['x-total-count']).toBe('3');
      expect(response.headers['x-total-count-capped']).toBe('false');
      const doorKnocks = await t.http
        .get('/api/sip-security/door-knocks?reason=none-such')
        .set({ Authorization: `Bearer ${admin}` })
        .expect(200);
      expect(doorKnocks.headers['x-total-count']).toBe('0');
      expect(doorKnocks.headers['x-total-count-capped']).toBe('false');
    });
  });
});
