import { Browser, BrowserContext, Page } from 'playwright-core';
import { expectAccessible } from '../support/accessibility';
import {
  closeBrowserAndApp,
  closeTab,
  DESKTOP,
  launchChromium,
  missingForBrowserTests,
  openTab,
  screenshot,
  signInWithPassword,
  watchCspViolations,
} from '../support/browser';
import { describeWith } from '../support/required-tools';
import { freePort } from '../support/service-process';
import { linkIn, SmtpSink } from '../support/smtp-sink';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { mailTo } from '../support/wait';

describeWith(missingForBrowserTests(), 'invitations in Chromium (real app, PostgreSQL, SMTP)', () => {
  jest.setTimeout(90_000);
  const sink = new SmtpSink();
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let violations: string[];

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
        // Nobody can sign up alone here: the invitation is the only way in.
        REGISTRATION_MODE: 'admin_only',
        REGISTER_RATE_LIMIT: '100',
        LOGIN_RATE_LIMIT: '100',
        ADMIN_NOTIFY: 'off',
      },
    });
    await t.app.listen(port, 'localhost');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await closeBrowserAndApp(browser, t);
    await sink.stop();
  });
  beforeEach(async () => {
    ({ context, page, violations } = await openTab(browser, baseUrl));
  });
  afterEach(() => closeTab(context, violations));

  const signIn = (email: string, password: string) => signInWithPassword(page, email, password);

  it('an admin invites from the console; the invited person follows the e-mail, sets name and password, signs in', async () => {
    const email = `browser-invitee-${Date.now()}@example.com`;
    await page.goto('/admin/invitations');
    await page.waitForURL('**/login?next=*');
    await signIn(ADMIN.email, ADMIN.password);
    await page.getByRole('heading', { name: 'Invitations', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Invitations' }).waitFor();

    await page.getByLabel('Email to invite').fill(email);
    await page.getByRole('checkbox', { name: 'As administrator' }).check();
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('status').getByText(`Invitation sent to ${email}.`).waitFor();
    const row = page.getByRole('row', { name: new RegExp(email) });
    await row.getByRole('cell', { name: 'administrator', exact: true }).waitFor();
    await row.getByRole('cell', { name: 'pending', exact: true }).waitFor();
    await expectAccessible(page, 'admin-invitations');
    await screenshot(page, 'admin-invitations');

    const { url } = linkIn(await mailTo(sink, email, 'You are invited'), '/accept-invite');
    const invitee = await browser.newContext({ baseURL: baseUrl, viewport: DESKTOP });
    try {
      const invitePage = await invitee.newPage();
      watchCspViolations(invitePage, violations);
      await invitePage.goto(url);
      await invitePage.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
      await invitePage.getByLabel('Full name').fill('Ivy Invited');
      await expectAccessible(invitePage, 'accept-invite');
      await screenshot(invitePage, 'accept-invite');
      await invitePage.getByLabel('Password', { exact: true }).fill('weak');
      await invitePage.getByRole('button', { name: 'Create my account' }).click();
      await invitePage.locator('.field-errors').first().waitFor();
      await invitePage.getByLabel('Password', { exact: true }).fill('Invited1234');
      await invitePage.getByRole('button', { name: 'Create my account' }).click();
      await invitePage.getByRole('heading', { name: 'Your account is ready' }).waitFor();
      await invitePage.getByRole('link', { name: 'Sign in' }).click();
      await invitePage.getByLabel('Email', { exact: true }).fill(email);
      await invitePage.getByLabel('Password', { exact: true }).fill('Invited1234');
      await invitePage.getByRole('button', { name: 'Sign in', exact: true }).click();
      await invitePage.waitForURL('**/admin/**');

      // The same link, followed again, is refused.
      await invitePage.goto(url);
      await invitePage.getByLabel('Full name').fill('Second Try');
      await invitePage.getByLabel('Password', { exact: true }).fill('Invited1234');
      await invitePage.getByRole('button', { name: 'Create my account' }).click();
      await invitePage
        .getByRole('alert')
        .getByText(/invitation link is invalid or has expired/)
        .waitFor();
    } finally {
      await invitee.close();
    }

    await page.reload();
    await page
      .getByRole('row', { name: new RegExp(email) })
      .getByRole('cell', { name: 'accepted', exact: true })
      .waitFor();
  });

  it('an admin revokes a pending invitation after confirming, and its link stops working', async () => {
    const email = `browser-revoked-${Date.now()}@example.com`;
    await page.goto('/admin/invitations');
    await signIn(ADMIN.email, ADMIN.password);
    await page.getByLabel('Email to invite').fill(email);
    await page.getByRole('button', { name: 'Send invitation' }).click();
    const { url } = linkIn(await mailTo(sink, email, 'You are invited'), '/accept-invite');

    await page.getByRole('button', { name: `Revoke the invitation to ${email}` }).click();
    await page.getByRole('button', { name: `Yes, revoke the invitation to ${email}` }).click();
    await page.getByRole('status').getByText(`Invitation to ${email} revoked.`).waitFor();
    await page
      .getByRole('row', { name: new RegExp(email) })
      .getByRole('cell', { name: 'revoked', exact: true })
      .waitFor();

    await page.goto(url);
    await page.getByLabel('Full name').fill('Too Late');
    await page.getByLabel('Password', { exact: true }).fill('Invited1234');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page
      .getByRole('alert')
      .getByText(/invitation link is invalid or has expired/)
      .waitFor();
  });
});
