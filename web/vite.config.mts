import { defineConfig } from 'vite';

/**
 * The console is served by the API's own process (src/web-app/web-app.ts) under a strict Content-Security-Policy:
 * no inline script, so no module-preload polyfill injected into index.html; JSX comes from tsconfig.json.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    rolldownOptions: {
      // TanStack Query marks its modules "use client" for React Server Components, which a client bundle ignores.
      onLog(level, log, handler) {
        if (log.code !== 'MODULE_LEVEL_DIRECTIVE') handler(level, log);
      },
    },
  },
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
