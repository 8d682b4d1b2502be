import { StatusReport, statusProblems } from './status-report';

const HEALTHY: StatusReport = {
  checkedAt: new Date(),
  proxies: [{ url: 'http://proxy:5060/RPC', inStep: true, lastPushAt: new Date(), lastError: null }],
  bouncers: [{ id: '1', name: 'fw', lastPullAt: null }],
  feeds: [],
  outbox: { pending: 3, failed: 0 },
  banEngineLagSeconds: 0.2,
  databaseUp: true,
  redisUp: null,
};

describe('statusProblems', () => {
  it('finds nothing wrong in a healthy report: pending e-mails, a proxy not pushed yet, no Redis are normal', () => {
    expect(statusProblems(HEALTHY)).toEqual([]);
    expect(
      statusProblems({
        ...HEALTHY,
        proxies: [{ url: 'http://p/RPC', inStep: null, lastPushAt: null, lastError: null }],
        banEngineLagSeconds: null,
      }),
    ).toEqual([]);
  });

  it('names each thing wrong, one sentence each', () => {
    expect(
      statusProblems({
        ...HEALTHY,
        databaseUp: false,
        redisUp: false,
        proxies: [{ url: 'http://proxy:5060/RPC', inStep: false, lastPushAt: new Date(), lastError: 'ECONNREFUSED' }],
        banEngineLagSeconds: 45.4,
        outbox: { pending: 0, failed: 2 },
        feeds: [{ name: 'abuseipdb', direction: 'in', lastSuccessAt: null, lastError: '401', healthy: false }],
      }),
    ).toEqual([
      'The database does not answer',
      'Redis does not answer',
      'Proxy http://proxy:5060/RPC is out of step',
      'The ban engine is 45 s behind',
      '2 e-mails failed in the last 24 hours',
      'Feed abuseipdb is failing',
    ]);
  });

  it('allows the ban engine 30 s, as the RegshieldBanEngineLagging alert', () => {
    expect(statusProblems({ ...HEALTHY, banEngineLagSeconds: 30 })).toEqual([]);
    expect(statusProblems({ ...HEALTHY, banEngineLagSeconds: 31 })).toHaveLength(1);
  });
});
