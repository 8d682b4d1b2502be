import { existsSync, mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, BrowserServer, chromium, Page } from 'playwright-core';
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

/** The Chromium process behind each browser launchChromium gave, so that closeBrowserAndApp can kill it. */
const servers = new WeakMap<Browser, BrowserServer>();

/**
 * Starts Chromium as a browser server and connects to it: unlike `chromium.launch`, this keeps a handle on
 * the process (`BrowserServer.kill`), which closeBrowserAndApp needs when a graceful close hangs.
 */
export async function launchChromium(): Promise<Browser> {
  const server = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  try {
    const browser = await chromium.connect(server.wsEndpoint());
    servers.set(browser, server);
    return browser;
  } catch (error) {
    await server.kill();
    throw error;
  }
}

/** Each clean-up step's bound: the three together stay well within Jest's 60 s hook timeout. */
const CLOSE_STEP_MS = 10_000;

/** Resolves true when the promise settles within the time, false otherwise (the promise is left to run). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A web spec's afterAll, bounded: a browser close that once hung past Jest's hook timeout under load left
 * Chromium's sockets open, and `app.close()` waits for open connections. So: close the contexts, then the
 * browser, and kill the Chromium process if either does not finish in time; then cut whatever connection
 * is still open to the app (a keep-alive socket of a killed renderer, a request in flight) and close the app.
 */
export async function closeBrowserAndApp(browser: Browser | undefined, t: TestApp | undefined): Promise<void> {
  if (browser) {
    const server = servers.get(browser);
    const closed =
      (await settlesWithin(Promise.all(browser.contexts().map((context) => context.close())), CLOSE_STEP_MS)) &&
      (await settlesWithin(browser.close(), CLOSE_STEP_MS)) &&
      (await settlesWithin(server?.close() ?? Promise.resolve(), CLOSE_STEP_MS));
    if (!closed) {
      console.warn('Chromium did not close in time: killing it');
      await server?.kill();
    }
  }
  if (t) {
    t.app.getHttpServer().closeAllConnections();
    await t.close();
  }
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

/** One test's browser: its own context (no cookies of another test), a page, and the page's CSP violations. */
export interface BrowserTab {
  context: BrowserContext;
  page: Page;
  violations: string[];
}

/** A new desktop context and page on the app, the page watched for CSP violations (closeTab fails the test on one). */
export async function openTab(browser: Browser, baseUrl: string, timeoutMs = 15_000): Promise<BrowserTab> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: DESKTOP });
  context.setDefaultTimeout(timeoutMs);
  const page = await context.newPage();
  const violations: string[] = [];
  watchCspViolations(page, violations);
  return { context, page, violations };
}

/** Closes the test's context; the page must have reported no CSP violation. */
export async function closeTab(context: BrowserContext, violations: string[]): Promise<void> {
  await context.close();
  expect(violations).toEqual([]);
}

/** Fills in /login's e-mail and password and presses "Sign in" (not "Sign in with a passkey"). */
export async function signInWithPassword(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

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
