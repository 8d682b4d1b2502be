import { createServer } from 'node:net';
import { missingCommand, describeWith } from '../support/required-tools';
import { createTestDatabase } from '../support/test-database';
import { CONTAINERFILE, ensureTestBaseImage, podman, podmanStatus, REPOSITORY_ROOT } from '../support/container-image';

/**
 * The image built from the committed Containerfile, run as a user runs it: only environment variables, a
 * PostgreSQL of its own (here a fresh test database, reached with --network=host), SIGTERM to stop.
 * The base image comes from Debian's packages on this machine (test/support/container-image.ts).
 */
const IMAGE = 'localhost/regshield:test';
const SECRETS = ['-e', `JWT_SECRET=${'j'.repeat(40)}`, '-e', `MFA_ENCRYPTION_KEY=${'m'.repeat(40)}`];
const BUILD_TIMEOUT_MS = 15 * 60_000;

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describeWith(
  [
    missingCommand('podman', ['--version'], 'apt-get install podman runc'),
    missingCommand('runc', ['--version'], 'apt-get install runc'),
    missingCommand('mmdebstrap', ['--version'], 'apt-get install mmdebstrap'),
  ],
  'the container image',
  () => {
    let database: { url: string; drop(): Promise<void> };
    const containers: string[] = [];

    beforeAll(
      async () => {
        let started = Date.now();
        const baseBuilt = await ensureTestBaseImage();
        const baseSeconds = (Date.now() - started) / 1000;
        started = Date.now();
        await podman(
          ['build', '--network=host', '--format', 'docker', '--tag', IMAGE, '--file', CONTAINERFILE, REPOSITORY_ROOT],
          BUILD_TIMEOUT_MS,
        );
        const buildSeconds = (Date.now() - started) / 1000;
        const { stdout: size } = await podman(['image', 'inspect', '--format', '{{.Size}}', IMAGE]);
        console.log(
          `base image ${baseBuilt ? `built in ${baseSeconds.toFixed(0)} s` : 'cached'}; ` +
            `image built in ${buildSeconds.toFixed(0)} s, ${(Number(size) / 1e6).toFixed(0)} MB`,
        );
        database = await createTestDatabase();
      },
      BUILD_TIMEOUT_MS + 10 * 60_000,
    );

    afterAll(async () => {
      for (const name of containers) {
        await podmanStatus(['rm', '--force', '--time', '0', name]);
      }
      await database?.drop();
    });

    async function startContainer(env: string[]): Promise<string> {
      const name = `regshield-test-${process.pid}-${containers.length}`;
      containers.push(name);
      await podman(['run', '--detach', '--name', name, '--network=host', ...SECRETS, ...env, IMAGE]);
      return name;
    }

    it('declares a healthcheck, a non-root user and the service as its command', async () => {
      const { stdout } = await podman([
        'image',
        'inspect',
        '--format',
        '{{json .Config.User}}|{{json .Config.Cmd}}|{{json .HealthCheck.Test}}',
        IMAGE,
      ]);
      const [user, cmd, healthcheck] = stdout.trim().split('|');
      expect(JSON.parse(user)).toBe('1000:1000');
      expect(JSON.parse(cmd)).toEqual(['node', 'dist/src/main.js']);
      expect(healthcheck).toContain('/health');
    });

    it('stops at once, naming DATABASE_URL, when it is not set', async () => {
      const name = `regshield-test-${process.pid}-nodb`;
      containers.push(name);
      const { code, output } = await podmanStatus(['run', '--name', name, '--network=host', ...SECRETS, IMAGE], 60_000);
      expect(code).toBe(1);
      expect(output).toContain('DATABASE_URL is required when EMBEDDED_DATABASE=off');
      expect(output).toContain('not a container');
    });

    it('serves /health and the console as a non-root user, is healthy, and exits 0 soon after SIGTERM', async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const name = await startContainer(['-e', `DATABASE_URL=${database.url}`, '-e', `PORT=${port}`]);
      await eventually(async () => (await fetch(`${base}/health`)).status === 200, 90_000, '/health to answer 200');
      expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', database: 'up' });
      const console = await fetch(`${base}/login`);
      expect(console.status).toBe(200);
      expect(await console.text()).toContain('<script type="module"');

      const { stdout: uid } = await podman(['exec', name, 'id', '-u']);
      expect(Number(uid.trim())).not.toBe(0);
      const health = await podmanStatus(['healthcheck', 'run', name]);
      expect(health.code).toBe(0);

      const stopping = Date.now();
      await podman(['kill', '--signal', 'TERM', name]);
      const { stdout: exitCode } = await podman(['wait', name], 30_000);
      expect(Number(exitCode.trim())).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(10_000);
      const { stdout: logs } = await podman(['logs', name]);
      expect(logs).toContain('SIGTERM received');
    }, 180_000);
  },
);
