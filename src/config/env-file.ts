import { existsSync } from 'node:fs';

/**
 * Reads `.env` from the working directory into process.env when the file exists, as `.env.example` invites.
 * Node's loader never overrides a variable the environment already has (even an empty one), so the real
 * environment wins over the file. Must run before loadConfig.
 */
export function loadEnvFileIfPresent(path = '.env'): void {
  if (existsSync(path)) {
    process.loadEnvFile(path);
  }
}
