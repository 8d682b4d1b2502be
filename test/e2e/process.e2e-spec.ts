import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The built service as a user runs it (the README's first command ends in `node dist/src/main.js`): no
 * DATABASE_URL, so it starts its embedded PostgreSQL under DATA_DIR. Needs `npm run build` (npm test does it).
 */
const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'dist/src/main.js');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const ADMIN_PASSWORD = 'AdminPass123';
// The service reads `.env` from its working directory: a developer's own .env in the repository must not
// reach these runs, so every process starts in an empty directory unless a test gives it another.
const EMPTY_DIR = mkdtempSync(join(tmpdir(), 'regshield-cwd-'));
const USER_PASSWORD = 'Secret9876';

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', ...extra };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.JWT_SECRET;
  return env;
}

class Service {
  output = '';
  private process?: ChildProcess;
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd = EMPTY_DIR,
  ) {}

  async start(): Promise<void> {
    this.process = spawn(process.execPath, [MAIN], { env: this.env, cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const child = this.process;
    const startedAt = this.output.length;
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`service did not start:\n${this.output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.indexOf('Listening on port', startedAt) !== -1) {
          clearTimeout(timer);
          ready();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => fail(new Error(`service exited with ${code}:\n${this.output}`)));
    });
  }

  stop(signal: NodeJS.Signals): Promise<number | null> {
    return new Promise((done) => {
      this.process!.once('exit', (code) => done(code));
      this.process!.kill(signal);
    });
  }
}

describe('The service as a process, on its embedded PostgreSQL', () => {
  jest.setTimeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'regshield-process-'));
  let port: number;
  let service: Service;
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const post = (path: string, body: unknown, token?: string) =>
    fetch(url(path), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const login = async (email: string, password: string) => {
    const response = await post('/api/auth/login', { email, password });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };

  beforeAll(async () => {
    port = await freePort();
    service = new Service(
      baseEnv({ DATA_DIR: dataDir, PORT: String(port), ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD }),
    );
  });

  it('starts with nothing set up, keeps data across a SIGTERM restart, and logs no secret', async () => {
    await service.start();
    expect((await fetch(url('/health'))).status).toBe(200);
    const registered = await post('/api/auth/register', {
      email: 'keep@example.com',
      password: USER_PASSWORD,
      full_name: 'Kept',
    });
    expect(registered.status).toBe(201);
    const token = await login('admin@example.com', ADMIN_PASSWORD);

    expect(await service.stop('SIGTERM')).toBe(0);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    await service.start();
    // The token outlives the restart: the generated development secret is kept in DATA_DIR.
    const list = await fetch(url('/api/admin/users'), { headers: { Authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);
    const emails = ((await list.json()) as Array<{ email: string }>).map((user) => user.email);
    expect(emails).toEqual(['admin@example.com', 'keep@example.com']);

    for (const secret of [ADMIN_PASSWORD, USER_PASSWORD, token, '$argon2']) {
      expect(service.output).not.toContain(secret);
    }
    expect(service.output).toContain('"event":"user_created"');
  });

  it('creates an admin from the CLI on the running embedded database, password from the environment', () => {
    const result = spawnSync(process.execPath, [CLI, 'create-admin', '--email', 'Boss@Example.com', '--name', 'Boss'], {
      env: baseEnv({ DATA_DIR: dataDir, REGSHIELD_ADMIN_PASSWORD: 'BossPass123' }),
      cwd: EMPTY_DIR,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('boss@example.com is an active superuser');
    expect(result.stdout).toContain(
      `Database: the embedded PostgreSQL under ${dataDir}, which the running service uses`,
    );
  });

  it('lets the CLI-made admin in, and promotes an existing user without asking a password', async () => {
    const token = await login('boss@example.com', 'BossPass123');
    const list = await fetch(url('/api/admin/users'), { headers: { Authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);
    const result = spawnSync(process.execPath, [CLI, 'create-admin', '--email', 'keep@example.com'], {
      env: baseEnv({ DATA_DIR: dataDir }),
      cwd: EMPTY_DIR,
      encoding: 'utf8',
      input: '',
    });
    expect(result.status).toBe(0);
    const kept = await login('keep@example.com', USER_PASSWORD);
    expect((await fetch(url('/api/admin/users'), { headers: { Authorization: `Bearer ${kept}` } })).status).toBe(200);
    // Both are in the audit trail, made by the system through the CLI.
    const audit = await fetch(url('/api/admin/audit?limit=1000'), { headers: { Authorization: `Bearer ${kept}` } });
    const byCli = ((await audit.json()) as Array<{ event: string; details: Record<string, unknown> }>).filter(
      (event) => event.details.via === 'cli',
    );
    expect(byCli).toEqual([
      expect.objectContaining({
        event: 'admin_action',
        actor_id: null,
        details: expect.objectContaining({ action: 'promote', actor: 'system', target_email: 'keep@example.com' }),
      }),
      expect.objectContaining({
        event: 'user_created',
        actor_id: null,
        details: expect.objectContaining({ email: 'boss@example.com', actor: 'system', is_superuser: true }),
      }),
    ]);
  });

  it('stops cleanly on SIGINT too', async () => {
    expect(await service.stop('SIGINT')).toBe(0);
  });

  it('warns when the CLI had to start the embedded database itself, no service running on that DATA_DIR', () => {
    const result = spawnSync(process.execPath, [CLI, 'create-admin', '--email', 'boss@example.com'], {
      env: baseEnv({ DATA_DIR: dataDir }),
      cwd: EMPTY_DIR,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Database: the embedded PostgreSQL under ${dataDir}, started for this command`);
    expect(result.stderr).toContain(`Warning: no service was running on DATA_DIR ${dataDir}`);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  it('reads .env from its working directory, as the CLI does, a variable set in the environment winning', async () => {
    const envDir = mkdtempSync(join(tmpdir(), 'regshield-env-'));
    // Were the file to win, PORT=eighty would stop the start; REGISTRATION_MODE is only in the file.
    writeFileSync(join(envDir, '.env'), '# as .env.example shows\nREGISTRATION_MODE=open\nPORT=eighty\n');
    const env = baseEnv({ DATA_DIR: dataDir, PORT: String(port) });
    delete env.REGISTRATION_MODE;
    const fromFile = new Service(env, envDir);
    await fromFile.start();
    try {
      const registered = await post('/api/auth/register', {
        email: 'open@example.com',
        password: USER_PASSWORD,
        full_name: 'Open',
      });
      expect(registered.status).toBe(201);
      expect(((await registered.json()) as { is_active: boolean }).is_active).toBe(true);

      // Only the CLI's .env says where the data is: a CLI that ignored it would make the admin in ./.data.
      const cliDir = mkdtempSync(join(tmpdir(), 'regshield-cli-env-'));
      writeFileSync(join(cliDir, '.env'), `DATA_DIR=${dataDir}\nREGSHIELD_ADMIN_PASSWORD=FromFile123\n`);
      const cliEnv = baseEnv({ REGSHIELD_ADMIN_PASSWORD: 'FromEnv123' });
      delete cliEnv.DATA_DIR;
      const result = spawnSync(process.execPath, [CLI, 'create-admin', '--email', 'dotenv@example.com'], {
        env: cliEnv,
        cwd: cliDir,
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(existsSync(join(cliDir, '.data'))).toBe(false);
      await login('dotenv@example.com', 'FromEnv123');

      writeFileSync(join(cliDir, '.env'), 'REGISTRATION_MODE=sometimes\n');
      const refused = spawnSync(process.execPath, [CLI, 'create-admin', '--email', 'x@example.com'], {
        env: baseEnv({ DATA_DIR: dataDir }),
        cwd: cliDir,
        encoding: 'utf8',
      });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('REGISTRATION_MODE');
    } finally {
      expect(await fromFile.stop('SIGTERM')).toBe(0);
    }
  });

  it('refuses to start on a bad setting, naming the variable', () => {
    const result = spawnSync(process.execPath, [MAIN], {
      env: baseEnv({ DATA_DIR: dataDir, PORT: 'eighty', REGISTRATION_MODE: 'sometimes' }),
      cwd: EMPTY_DIR,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('REGISTRATION_MODE');
  });
});
