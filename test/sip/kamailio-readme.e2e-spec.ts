import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeWith } from '../support/required-tools';
import { startTestApp, TestApp } from '../support/test-app';
import {
  createSubscriber,
  freeTcpPort,
  KamailioInstance,
  missingScannerTools,
  missingSipTools,
  rpcUrl,
  startKamailio,
} from './kamailio';

const ROOT = path.resolve(__dirname, '..', '..');
const README = path.join(ROOT, 'deploy', 'kamailio', 'README.md');

interface Check {
  command: string;
  prints: string;
}

/**
 * The copy-paste check of deploy/kamailio/README.md (step 6): each `sh` block followed by "prints" and the
 * block of what it prints, in the order the README gives them.
 */
function readmeChecks(): Check[] {
  const readme = fs.readFileSync(README, 'utf8');
  const step = readme.slice(readme.indexOf('6. **Check it**'), readme.indexOf('## What it does, in order'));
  const blocks = [...step.matchAll(/^ {3}```(sh)?\n([\s\S]*?)^ {3}```$/gm)].map((match) => ({
    shell: match[1] === 'sh',
    text: match[2].replace(/^ {3}/gm, '').trimEnd(),
    end: (match.index ?? 0) + match[0].length,
  }));
  const checks: Check[] = [];
  blocks.forEach((block, i) => {
    const next = blocks[i + 1];
    if (!block.shell || !next || next.shell) return;
    if (!/prints/.test(step.slice(block.end, step.indexOf('```', block.end)))) return;
    checks.push({ command: block.text, prints: next.text });
  });
  return checks;
}

/** What a terminal shows, without run-to-run noise: SIP's line ends (CR LF) and svcrack's exact wait. */
const steady = (output: string) =>
  output
    .replace(/\r/g, '')
    .replace(/\d+\.\d+ seconds/g, 'N seconds')
    .trim();

function runShell(command: string, cwd: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', () => resolve(output));
  });
}

describeWith(
  [...missingSipTools(), ...missingScannerTools()].map((pkg) => `${pkg} is missing; apt-get install ${pkg}`),
  "deploy/kamailio/README.md's copy-paste check prints what the README says",
  () => {
    jest.setTimeout(120_000);
    let t: TestApp;
    let kamailio: KamailioInstance;
    let cwd: string;

    beforeAll(async () => {
      const rpcPort = await freeTcpPort();
      // As the README says for an attacker on the same machine: loopback not allowlisted beyond 127.0.0.1.
      t = await startTestApp({ env: { SIP_ALLOWLIST: '127.0.0.1/32,::1/128', SIP_PROXY_RPC_URLS: rpcUrl(rpcPort) } });
      await createSubscriber(t.db, '1000', 'a-long-random-secret', 'regshield.test');
      kamailio = await startKamailio({ databaseUrl: t.databaseUrl, domain: 'regshield.test', rpcPort });
      // The commands name test/sip/... from the repository's root; their files land in a directory of their own.
      cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'regshield-readme-'));
      fs.symlinkSync(path.join(ROOT, 'test'), path.join(cwd, 'test'));
    });
    afterAll(async () => {
      await kamailio?.stop();
      await t?.close();
      if (cwd) fs.rmSync(cwd, { recursive: true, force: true });
    });

    it('has the REGISTER, the banned svcrack and svwar, each with what it prints', () => {
      const commands = readmeChecks().map((check) => check.command);
      expect(commands).toEqual([
        expect.stringMatching(/^sipp 127\.0\.0\.1:5060 -sf test\/sip\/scenarios\/register\.xml /),
        expect.stringMatching(/sipvicious-from\.py 127\.0\.0\.2 \\\n\s+svcrack /),
        expect.stringMatching(/sipvicious-from\.py 127\.0\.0\.3 \\\n\s+svwar /),
      ]);
    });

    it('prints, command by command, what the README shows (Kamailio on a free port instead of 5060)', async () => {
      for (const check of readmeChecks()) {
        const output = await runShell(check.command.replaceAll('127.0.0.1:5060', `127.0.0.1:${kamailio.port}`), cwd);
        expect({ command: check.command, output: steady(output) }).toEqual({
          command: check.command,
          output: steady(check.prints),
        });
      }
      const { rows } = await t.db.query<{ banned: boolean }>(
        "SELECT EXISTS (SELECT 1 FROM sip_bans WHERE cidr = '127.0.0.2/32' AND lifted_at IS NULL) AS banned",
      );
      expect(rows[0].banned).toBe(true);
    });
  },
);
