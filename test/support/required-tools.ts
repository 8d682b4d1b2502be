import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Why a command cannot run here (not installed, or failing), or undefined when it runs. */
export function missingCommand(command: string, args: string[], hint: string): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  if (!result.error && result.status === 0) return undefined;
  return `${command} does not run (${result.error?.message ?? `exit ${result.status}`}); ${hint}`;
}

/** Why the Debian packages a test needs are not all here (`missing` lists those lacking), or undefined. */
export function missingPackages(missing: string[]): string | undefined {
  return missing.length === 0 ? undefined : `apt-get install ${missing.join(' ')} (.ci/run installs them)`;
}

/** Why a path the test reads is not there, or undefined when it is. */
export function missingPath(path: string, hint: string): string | undefined {
  return existsSync(path) ? undefined : `${path} does not exist; ${hint}`;
}

/** Why a test that needs root (`what` for) cannot run as this user, or undefined under root. */
export function notRoot(what: string): string | undefined {
  return process.getuid?.() === 0 ? undefined : `needs root for ${what}`;
}

/** Why an environment variable the test needs is unset, or undefined when it is set. */
export function unsetVariable(name: string, hint: string): string | undefined {
  return process.env[name] ? undefined : `${name} is not set; ${hint}`;
}

/**
 * Why Redis at this URL does not answer a PING, or undefined when it does. Asked from a child process
 * because a test file picks `describe` or `describe.skip` while it loads, synchronously.
 */
export function unreachableRedis(url: string): string | undefined {
  const probe = `
    const Redis = require('ioredis');
    const redis = new Redis(process.argv[1], { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.connect().then(() => redis.ping()).then(
      () => { redis.disconnect(); process.exit(0); },
      (error) => { process.stderr.write(error.message); process.exit(1); },
    );`;
  const result = spawnSync(process.execPath, ['-e', probe, url], {
    cwd: resolve(__dirname, '../..'),
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (!result.error && result.status === 0) return undefined;
  return `Redis at ${url} does not answer (${result.error?.message ?? result.stderr.trim()}); start one or set REDIS_URL`;
}

/**
 * `describe` when nothing is missing; otherwise skipped with a note, except under CI, where a missing tool
 * is a failing test instead.
 */
export function describeWith(missing: Array<string | undefined>, title: string, body: () => void): void {
  const reasons = missing.filter((reason): reason is string => reason !== undefined);
  if (reasons.length === 0) {
    describe(title, body);
  } else if (process.env.CI) {
    describe(title, () => {
      it('has what it needs', () => {
        throw new Error(`required when CI is set:\n${reasons.join('\n')}`);
      });
    });
  } else {
    console.warn(`Skipping "${title}":\n${reasons.join('\n')}`);
    describe.skip(title, body);
  }
}
