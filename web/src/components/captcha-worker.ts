/**
 * altcha-lib's solver in a Web Worker, with the browser's Web Crypto PBKDF2 (the package's default worker
 * derives keys with node:crypto). Bundled by Vite as a file of its own, so the CSP's `script-src 'self'`
 * covers it.
 */
import { deriveKey } from 'altcha-lib/algorithms/web/pbkdf2';
import { handler } from 'altcha-lib/workers/shared';

handler({ deriveKey });
