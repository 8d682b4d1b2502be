import { describeWith } from '../support/required-tools';
import { startTestApp, TestApp } from '../support/test-app';
import {
  createSubscriber,
  KamailioInstance,
  kamailioProcessPid,
  missingSipTools,
  sendUnknownDomainRequest,
  sendWrongPasswordRegisters,
  startKamailio,
} from './kamailio';

const DOMAIN = 'regshield.test';
const ATTACKER = '127.0.0.3';
const BURST = 20;

/**
 * deploy/kamailio/kamailio.cfg queues event rows for its timer process (rtimer, every 100 ms). What is still
 * queued when Kamailio stops cleanly (SIGTERM, as systemd and kamctl send) must reach the database: mqueue
 * hands it to regshield_proxy_event_queue, whose trigger writes each row into its table.
 */
describeWith(
  missingSipTools().map((pkg) => `${pkg} is missing; apt-get install ${pkg}`),
  'Kamailio stopped cleanly with event rows still queued',
  () => {
    jest.setTimeout(90_000);
    let t: TestApp;
    let kamailio: KamailioInstance | undefined;

    beforeAll(async () => {
      t = await startTestApp({ env: { SIP_ALLOWLIST: '127.0.0.1/32,::1/128' } });
      await createSubscriber(t.db, '1000', 'S3cret-pass', DOMAIN);
      // pike would take a burst this fast for a flood; the burst is about the write queue, not flood detection.
      kamailio = await startKamailio({ databaseUrl: t.databaseUrl, domain: DOMAIN, pikeDensity: 1000 });
    });
    afterAll(async () => {
      await kamailio?.stop();
      await t?.close();
    });

    const storedRows = async (table = 'failed_registrations') =>
      (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE source_ip = $1`, [ATTACKER]))
        .rows[0].n;

    it('writes every queued failed registration and door knock before it exits, keeping none in the hand-over table', async () => {
      const proxy = kamailio!;
      // The timer process is paused for the burst, so every row of it is still queued when the stop comes,
      // as the last 100 ms of rows always are; the SIGTERM reaches it before it may run again.
      const writer = await kamailioProcessPid(proxy, /RTIMER/i);
      process.kill(writer, 'SIGSTOP');
      try {
        const burst = await sendWrongPasswordRegisters({
          from: ATTACKER,
          port: proxy.port,
          domain: DOMAIN,
          username: '1000',
          count: BURST,
          rate: 50,
        });
        expect(burst.statuses.filter((status) => status === 403)).toHaveLength(BURST);
        const knock = await sendUnknownDomainRequest({ from: ATTACKER, port: proxy.port });
        expect(knock.status).toBe(404);
        expect(await storedRows()).toBe(0);
        expect(await storedRows('door_knock_attempts')).toBe(0);
      } finally {
        const stopping = proxy.stop();
        process.kill(writer, 'SIGCONT');
        await stopping;
        kamailio = undefined;
      }
      expect(await storedRows()).toBe(BURST);
      expect(await storedRows('door_knock_attempts')).toBe(1);
      expect(proxy.log()).not.toContain('EVENT_QUEUE_SIZE must be given');
      const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM regshield_proxy_event_queue');
      expect(rows[0].n).toBe(0);
    });
  },
);
