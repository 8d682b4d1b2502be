import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';
import { describeWith, missingCommand, missingPath, notRoot } from '../support/required-tools';

/**
 * Debian's stock crowdsec-firewall-bouncer, unchanged, pointed at regshield's /v1/decisions/stream, puts a
 * banned address into its nftables set and takes it out on lift. It runs in a network namespace this test
 * creates (`unshare -n`: only a loopback, nothing of the host's firewall touched); its API URL there is a
 * small TCP-to-Unix-socket bridge, since a Unix socket is the one thing both namespaces share.
 */
const NFT_SET = ['ip', 'crowdsec', 'crowdsec-blacklists'];
const LIMIT_MS = 3000;
/** The example an operator installs; the test runs it with only its address, key, pid dir and log changed. */
const SHIPPED_BOUNCER_CONFIG = path.resolve(__dirname, '../../deploy/crowdsec/crowdsec-firewall-bouncer.yaml');

function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  const matches = text.match(new RegExp(pattern.source, 'gm'));
  if (matches?.length !== 1) {
    throw new Error(`deploy/crowdsec/crowdsec-firewall-bouncer.yaml: expected one line matching ${pattern}`);
  }
  return text.replace(new RegExp(pattern.source, 'm'), replacement);
}

/** The shipped file for this test's namespace: everything else (mode, sets, tables, update_frequency) as shipped. */
function namespacedBouncerConfig(shipped: string, at: { apiUrl: string; apiKey: string; pidDir: string }): string {
  let config = replaceOnce(shipped, /^api_url: .*$/, `api_url: ${at.apiUrl}`);
  config = replaceOnce(config, /^api_key: .*$/, `api_key: ${at.apiKey}`);
  config = replaceOnce(config, /^pid_dir: .*$/, `pid_dir: ${at.pidDir}`);
  config = replaceOnce(config, /^log_mode: .*$/, 'log_mode: stdout');
  return replaceOnce(config, /^log_dir: .*\n/, '');
}

/** Why the bouncer test cannot run here, for describeWith. */
function missingForBouncer(): Array<string | undefined> {
  const bouncerRuns = spawnSync('crowdsec-firewall-bouncer', ['-h'], { encoding: 'utf8' }).status === 0;
  return [
    bouncerRuns
      ? undefined
      : missingPath('/usr/bin/crowdsec-firewall-bouncer', 'apt-get install crowdsec-firewall-bouncer'),
    missingCommand('nft', ['--version'], 'apt-get install nftables'),
    notRoot('network namespaces (unshare -n)'),
    missingCommand('unshare', ['-n', 'true'], 'the test creates a network namespace'),
  ];
}

/** Run inside the namespace: 127.0.0.1:<port> there → the Unix socket → the app in the host namespace. */
const BRIDGE_SCRIPT = `
const fs = require('node:fs');
const net = require('node:net');
const [socketPath, port, readyPath] = process.argv.slice(2);
net.createServer((client) => {
  const upstream = net.connect(socketPath);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
}).listen(Number(port), '127.0.0.1', () => fs.writeFileSync(readyPath, ''));
`;

describeWith(missingForBouncer(), 'The stock CrowdSec firewall bouncer enforces regshield bans in nftables', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let admin: string;
  let dir: string;
  let hostBridge: net.Server;
  let bouncer: ChildProcess;
  let bouncerLog = '';
  const measured: Record<string, number> = {};

  const nftSet = (): string => {
    const result = spawnSync('nsenter', ['-t', String(bouncer.pid), '-n', 'nft', 'list', 'set', ...NFT_SET], {
      encoding: 'utf8',
    });
    return `${result.stdout}${result.stderr}`;
  };
  const elementsOf = (listing: string): string => /elements = \{([^}]*)\}/.exec(listing)?.[1] ?? '';

  beforeAll(async () => {
    t = await startTestApp({ env: { SIP_ALLOWLIST: '127.0.0.1/32' } });
    admin = await t.login(ADMIN.email, ADMIN.password);
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as net.AddressInfo;

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regshield-bouncer-'));
    const socketPath = path.join(dir, 'api.sock');
    hostBridge = net.createServer((client) => {
      const upstream = net.connect(port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => hostBridge.listen(socketPath, resolve));
    fs.writeFileSync(path.join(dir, 'bridge.js'), BRIDGE_SCRIPT);

    const created = await t.http
      .post('/api/sip-security/bouncers')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: 'nft-test' })
      .expect(201);
    fs.writeFileSync(
      path.join(dir, 'bouncer.yaml'),
      namespacedBouncerConfig(fs.readFileSync(SHIPPED_BOUNCER_CONFIG, 'utf8'), {
        apiUrl: 'http://127.0.0.1:8080/',
        apiKey: (created.body as { key: string }).key,
        pidDir: dir,
      }),
    );
    // The bouncer gives up on a refused first connection, so it starts only once the bridge listens.
    const ready = path.join(dir, 'bridge.ready');
    const inner = `ip link set lo up && { "${process.execPath}" "${path.join(dir, 'bridge.js')}" "${socketPath}" 8080 "${ready}" & } && i=0 && while [ ! -e "${ready}" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done && exec crowdsec-firewall-bouncer -c "${path.join(dir, 'bouncer.yaml')}"`;
    bouncer = spawn('unshare', ['-n', 'sh', '-c', inner], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    bouncer.stdout!.on('data', (b: Buffer) => (bouncerLog += b.toString()));
    bouncer.stderr!.on('data', (b: Buffer) => (bouncerLog += b.toString()));
    await waitFor(async () => (nftSet().includes('crowdsec-blacklists') ? true : undefined), 15_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n--- bouncer log ---\n${bouncerLog.slice(-3000)}`);
      },
    );
  });

  afterAll(async () => {
    if (bouncer?.pid !== undefined) {
      try {
        process.kill(-bouncer.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    hostBridge?.close();
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (Object.keys(measured).length > 0)
      console.log(`bouncer latencies (ms, update_frequency 1s): ${JSON.stringify(measured)}`);
  });

  it('adds a banned address to its nftables set, and removes it when the ban is lifted', async () => {
    const bannedAt = Date.now();
    const response = await t.http
      .post('/api/sip-security/bans')
      .set('Authorization', `Bearer ${admin}`)
      .send({ cidr: '198.51.100.23', reason: 'bouncer test', duration_seconds: 3600 })
      .expect(201);
    const added = await waitFor(
      async () => (elementsOf(nftSet()).includes('198.51.100.23') ? Date.now() : undefined),
      10_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${nftSet()}\n--- bouncer log ---\n${bouncerLog.slice(-3000)}`);
    });
    measured.add = added - bannedAt;
    expect(measured.add).toBeLessThanOrEqual(LIMIT_MS);

    const liftedAt = Date.now();
    await t.http
      .delete(`/api/sip-security/bans/${(response.body as { id: string }).id}`)
      .set('Authorization', `Bearer ${admin}`)
      .expect(204);
    const removed = await waitFor(
      async () => (elementsOf(nftSet()).includes('198.51.100.23') ? undefined : Date.now()),
      10_000,
    );
    measured.remove = removed - liftedAt;
    expect(measured.remove).toBeLessThanOrEqual(LIMIT_MS);
  });
});
