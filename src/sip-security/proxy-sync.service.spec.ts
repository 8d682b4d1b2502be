import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { BanIndexService, BanSnapshot } from './ban-index.service';
import { KamailioRpcClient } from './kamailio-rpc.client';
import { PROXY_STATE_KEYS, PROXY_TABLES } from './proxy-ban-state';
import { ProxySyncService } from './proxy-sync.service';

/** The proxy's calls as made, in order; `get` of the restart mark answers through `answerMark` when held. */
function proxyWith() {
  const calls: string[] = [];
  let heldMark: ((mark: string | undefined) => void) | undefined;
  let holdMark = false;
  let syncedBy: string | undefined;
  jest.spyOn(KamailioRpcClient.prototype, 'get').mockImplementation((table, key) => {
    calls.push(`get ${table} ${key}`);
    if (!holdMark) return Promise.resolve(syncedBy);
    return new Promise((resolve) => (heldMark = resolve));
  });
  jest.spyOn(KamailioRpcClient.prototype, 'setString').mockImplementation((table, key, value) => {
    calls.push(`set ${table} ${key}`);
    if (table === PROXY_TABLES.state && key === PROXY_STATE_KEYS.syncedBy) syncedBy = value;
    return Promise.resolve();
  });
  jest.spyOn(KamailioRpcClient.prototype, 'delete').mockImplementation((table, key) => {
    calls.push(`delete ${table} ${key}`);
    return Promise.resolve();
  });
  jest.spyOn(KamailioRpcClient.prototype, 'keys').mockResolvedValue([]);
  jest.spyOn(KamailioRpcClient.prototype, 'reload').mockResolvedValue();
  return {
    calls,
    holdMark: () => (holdMark = true),
    answerMark: () => heldMark?.(syncedBy),
  };
}

function serviceWith() {
  let snapshot: BanSnapshot = { bans: [], allowlist: [] };
  const listeners: Array<(snapshot: BanSnapshot) => void> = [];
  const index = {
    snapshot: () => snapshot,
    onChange: (listener: (snapshot: BanSnapshot) => void) => listeners.push(listener),
  } as unknown as BanIndexService;
  const metrics = { setProxyInStep: () => undefined } as unknown as MetricsService;
  const config = { sipProxyRpcUrls: ['http://127.0.0.1:5071/RPC'], sipDecoyUsernames: [] } as unknown as AppConfig;
  return {
    service: new ProxySyncService(index, metrics, config),
    /** As BanIndexService.add does: the new state, then every listener told. */
    ban: (cidr: string) => {
      snapshot = { bans: [...snapshot.bans, { cidr, reason: 'test', expiresAt: null }], allowlist: [] };
      for (const listener of listeners) listener(snapshot);
    },
  };
}

describe('ProxySyncService', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('pushes a ban added while a heartbeat checks the restart mark in that heartbeat, before its alive mark', async () => {
    jest.useFakeTimers();
    const proxy = proxyWith();
    const { service, ban } = serviceWith();
    service.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    expect(proxy.calls).toContain(`set ${PROXY_TABLES.state} ${PROXY_STATE_KEYS.syncedBy}`);

    proxy.holdMark();
    proxy.calls.length = 0;
    await jest.advanceTimersByTimeAsync(1000);
    expect(proxy.calls).toEqual([`get ${PROXY_TABLES.state} ${PROXY_STATE_KEYS.syncedBy}`]);
    ban('203.0.113.7/32');
    proxy.answerMark();
    await jest.advanceTimersByTimeAsync(0);
    expect(proxy.calls).toEqual([
      `get ${PROXY_TABLES.state} ${PROXY_STATE_KEYS.syncedBy}`,
      `set ${PROXY_TABLES.hostBans} 203.0.113.7`,
      `set ${PROXY_TABLES.state} ${PROXY_STATE_KEYS.alive}`,
    ]);
    await service.onApplicationShutdown();
  });

  it('sets the alive mark after a full sync, so that a restarted proxy opens with its bans loaded', async () => {
    jest.useFakeTimers();
    const proxy = proxyWith();
    const { service, ban } = serviceWith();
    ban('203.0.113.7/32');
    service.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    const at = (call: string) => proxy.calls.indexOf(call);
    expect(at(`set ${PROXY_TABLES.hostBans} 203.0.113.7`)).toBeGreaterThanOrEqual(0);
    expect(at(`set ${PROXY_TABLES.state} ${PROXY_STATE_KEYS.alive}`)).toBeGreaterThan(
      at(`set ${PROXY_TABLES.state} ${PROXY_STATE_KEYS.syncedBy}`),
    );
    expect(at(`set ${PROXY_TABLES.state} ${PROXY_STATE_KEYS.syncedBy}`)).toBeGreaterThan(
      at(`set ${PROXY_TABLES.hostBans} 203.0.113.7`),
    );
    await service.onApplicationShutdown();
  });
});
