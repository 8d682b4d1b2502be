import { existsSync, mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { missingCommand } from './required-tools';
import { TestApp } from './test-app';

/** Debian's chromium: browsers cannot be downloaded here, and this is the one CI installs (.ci/run). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const WEB_APP_INDEX = resolve(__dirname, '../../web/dist/index.html');

/** Why the browser tests cannot run here, for describeWith. */
export function missingForBrowserTests(): Array<string | undefined> {
  return [
    missingCommand(
      CHROMIUM,
      ['--version'],
      "install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH",
    ),
    existsSync(WEB_APP_INDEX) ? undefined : `the web app is not built (${WEB_APP_INDEX} is missing): run npm run build`,
  ];
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** Makes the test app listen on a free port of localhost; returns its base URL. */
export async function listenOnLocalhost(t: TestApp): Promise<string> {
  await t.app.listen(0, 'localhost');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return `http://localhost:${port}`;
}

/** Collects what the browser reports as a Content-Security-Policy violation. */
export function watchCspViolations(page: Page, violations: string[]): void {
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * With SCREENSHOT_DIR set (`npm run screenshots`), saves the page at desktop and phone width as
 * `<name>-desktop.png` and `<name>-phone.png`, then restores the desktop viewport.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const directory = process.env.SCREENSHOT_DIR;
  if (!directory) return;
  mkdirSync(directory, { recursive: true });
  for (const [size, viewport] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    await page.setViewportSize(viewport);
    // Two frames: the resize observers (the charts) have redrawn for the new width.
    await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
    await page.screenshot({ path: join(directory, `${name}-${size}.png`), fullPage: true });
  }
}
