import { Browser, BrowserContext, Page } from 'playwright-core';
import { expectAccessible } from '../support/accessibility';
import {
  closeBrowserAndApp,
  DESKTOP,
  launchChromium,
  missingForBrowserTests,
  screenshot,
  signInWithPassword,
  watchCspViolations,
} from '../support/browser';
import { describeWith } from '../support/required-tools';
import { freePort } from '../support/service-process';
import { SmtpSink } from '../support/smtp-sink';
import { newUser, startTestApp, TestApp } from '../support/test-app';
import { mailTo } from '../support/wait';

const SUBJECT = 'New sign-in to your account';

describeWith(missingForBrowserTests(), 'new-device notices and the device list in Chromium (real app, SMTP)', () => {
  jest.setTimeout(90_000);
  const sink = new SmtpSink();
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const violations: string[] = [];

  beforeAll(async () => {
    await sink.start();
    // The e-mail's link leads to PUBLIC_URL: the app's own address, known before it starts.
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    t = await startTestApp({
      env: {
        SMTP_URL: sink.url,
        PUBLIC_URL: baseUrl,
        MAIL_POLL_INTERVAL_MS: '100',
        REGISTRATION_MODE: 'open',
        LOGIN_RATE_LIMIT: '100',
        ADMIN_NOTIFY: 'off',
        EMAIL_VERIFICATION: 'off',
      },
    });
    await t.app.listen(port, 'localhost');
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await closeBrowserAndApp(browser, t);
    await sink.stop();
  });
  afterEach(() => expect(violations).toEqual([]));

  /** A browser of its own (a fresh context: no cookies, so a device the account has not used). */
  const newBrowser = async (): Promise<Page> => {
    const context = await browser.newContext({ baseURL: baseUrl, viewport: DESKTOP });
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    const page = await context.newPage();
    watchCspViolations(page, violations);
    return page;
  };

  const signInToAccount = async (page: Page, user: { email: string; password: string }) => {
    await page.goto('/account');
    await page.waitForURL('**/login?next=%2Faccount');
    await signInWithPassword(page, user.email, user.password);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
  };

  const signOut = async (page: Page) => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  };

  /** New-device e-mails queued for the address: the login queues it before it answers. */
  const noticesQueued = async (email: string): Promise<number> => {
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM mail_outbox WHERE recipient = $1 AND kind = 'new_device'`,
      [email],
    );
    return rows[0].n;
  };

  it('e-mails the owner on a sign-in from a fresh browser, not from one that signed in before; /account lists and forgets devices', async () => {
    const user = newUser();
    await t.http.post('/api/auth/register').send(user).expect(201);

    // The laptop: the account's first sign-in (nothing to compare with), then the same browser again.
    const laptop = await newBrowser();
    await signInToAccount(laptop, user);
    await signOut(laptop);
    await signInToAccount(laptop, user);
    expect(await noticesQueued(user.email)).toBe(0);

    // Another browser: a new device, told by e-mail with its browser and a link to /account.
    const other = await newBrowser();
    await signInToAccount(other, user);
    expect(await noticesQueued(user.email)).toBe(1);
    const mail = await mailTo(sink, user.email, SUBJECT);
    expect(mail.raw).toMatch(/Browser: Chrome \d+ on Linux/);
    expect(mail.raw).toMatch(/IP address: \S+/);
    expect(mail.raw).toContain(`${baseUrl}/account`);

    // Its account page lists both devices, this one marked.
    const devices = other.getByRole('region', { name: 'Devices' });
    await devices.getByRole('row').nth(2).waitFor();
    expect(await devices.getByRole('row').count()).toBe(3);
    const thisDevice = devices.getByRole('row').filter({ hasText: 'this device' });
    expect(await thisDevice.count()).toBe(1);
    await expect(thisDevice.textContent()).resolves.toMatch(/Chrome \d+ on Linux/);
    await expectAccessible(other, 'account-devices');
    await screenshot(other, 'account-devices');

    // Forgetting the laptop: gone from the list, and its next sign-in is a new device again.
    await devices
      .getByRole('row')
      .filter({ hasNotText: 'this device' })
      .filter({ has: other.getByRole('button', { name: /^Forget / }) })
      .getByRole('button', { name: /^Forget / })
      .click();
    await other.getByRole('status').getByText('is forgotten').waitFor();
    await devices.getByRole('row').nth(2).waitFor({ state: 'detached' });
    expect(await devices.getByRole('row').count()).toBe(2);

    await signOut(laptop);
    await signInToAccount(laptop, user);
    expect(await noticesQueued(user.email)).toBe(2);
    await mailTo(sink, user.email, SUBJECT, 2);
  });
});
