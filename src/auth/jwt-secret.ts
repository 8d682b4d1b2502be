import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppConfig } from '../config/app-config';

/**
 * JWT_SECRET when set; otherwise (never in production: config validation refuses that) a secret generated
 * once and kept in DATA_DIR so that tokens survive a restart of a development instance.
 */
export async function resolveJwtSecret(config: AppConfig, warn: (message: string) => void): Promise<string> {
  if (config.jwtSecret) return config.jwtSecret;
  const file = resolve(config.dataDir, 'jwt-secret');
  if (existsSync(file)) {
    warn(`JWT_SECRET is not set: using the development secret kept in ${file}`);
    return (await readFile(file, 'utf8')).trim();
  }
  // Traversable by others: the embedded PostgreSQL runs as its own user under this folder.
  await mkdir(config.dataDir, { recursive: true, mode: 0o711 });
  const secret = randomBytes(48).toString('base64url');
  await writeFile(file, secret, { mode: 0o600 });
  warn(`JWT_SECRET is not set: generated a development secret and kept it in ${file}`);
  return secret;
}
