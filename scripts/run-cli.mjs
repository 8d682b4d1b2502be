// `npm run cli`: runs the built admin CLI (dist/src/cli/main.js), compiling the service first only when
// dist/ is missing or older than a source file, so that a call after `npm run build` starts at once.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist/src/cli/main.js');

/** The newest modification time of the TypeScript sources under `dir` that the build compiles. */
function newestSourceTime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceTime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

if (!existsSync(built) || newestSourceTime(join(root, 'src')) > statSync(built).mtimeMs) {
  process.stderr.write('Compiling the service first (dist/ is missing or older than src/)\n');
  const build = spawnSync('tsc', ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    process.stderr.write(
      build.error ? `Cannot compile (${build.error.message}): run npm run build, then npm run cli again\n` : '',
    );
    process.exit(1);
  }
}

const cli = spawnSync(process.execPath, [built, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(cli.status ?? 1);
