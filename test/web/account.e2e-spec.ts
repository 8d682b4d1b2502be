import { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { expectAccessible } from '../support/accessibility';
import {
  closeBrowserAndApp,
  closeTab,
  launchChromium,
  missingForBrowserTests,
  openTab,
  screenshot,
  signInWithPassword,
} from '../support/browser';
import { describeWith } from '../support/required-tools';
import { freePort } from '../support/service-process';
import { linkIn, SmtpSink } from '../support/smtp-sink';
import { ADMIN, newUser, startTestApp, TestApp } from '../support/test-app';
import { freshStep, totpCode } from '../support/totp';
import { mailTo } from '../support/wait';

/** Access tokens live 2 s here, so that a test can outlast one without waiting long. */
const ACCESS_TOKEN_SECONDS = 2;

describeWith(missingForBrowserTests(), "a user's own account pages in Chromium (real app, PostgreSQL, SMTP)", () => {
  jest.setTimeout(60_000);
  const sink = new SmtpSink();
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    await sink.start();
    // The e-mails' links lead to PUBLIC_URL: the app's own address, known before it starts.
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    t = await startTestApp({
      env: {
        SMTP_URL: sink.url,
        PUBLIC_URL: baseUrl,
        MAIL_POLL_INTERVAL_MS: '100',
        REGISTRATION_MODE: 'open',
        REGISTER_RATE_LIMIT: '100',
        LOGIN_RATE_LIMIT: '100',
        ADMIN_NOTIFY: 'off',
        JWT_EXPIRES_IN: String(ACCESS_TOKEN_SECONDS),
      },
    });
    await t.app.listen(port, 'localhost');
    browser = await launchChromium();
  });
  afterAll(async () => {
    // browser.close() only disconnects from the Chromium that launchChromium started; this ends it.
    await closeBrowserAndApp(browser, t);
    await sink.stop();
  });
  beforeEach(async () => {
    ({ context, page, violations } = await openTab(browser, baseUrl, 10_000));
  });
  afterEach(() => closeTab(context, violations));

  /** An active account (registration is open here), created through the API. */
  const activeUser = async () => {
    const user = newUser();
    await t.http.post('/api/auth/register').send(user).expect(201);
    return user;
  };

  const signIn = (email: string, password: string) => signInWithPassword(page, email, password);

  const signInToAccount = async (email: string, password: string) => {
    await page.goto('/account');
    await page.waitForURL('**/login?next=%2Faccount');
    await signIn(email, password);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
  };

  it('resets a forgotten password from the link in the e-mail, then signs in with the new password', async () => {
    const user = await activeUser();
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Forgotten password' }).waitFor();
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await expectAccessible(page, 'forgot-password');
    await screenshot(page, 'forgot-password');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();

    const link = linkIn(await mailTo(sink, user.email, 'Reset your password'), '/reset-password');
    expect(link.url.startsWith(`${baseUrl}/reset-password?token=`)).toBe(true);
    await page.goto(link.url);
    await page.getByLabel('New password').fill('short');
    await page.getByText('8 to 200 characters (not yet)').waitFor();
    await page.getByLabel('New password').fill('Renewed2345');
    await page.getByText('8 to 200 characters (met)').waitFor();
    await expectAccessible(page, 'reset-password');
    await screenshot(page, 'reset-password');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.waitForURL('**/login?notice=password-reset');
    await page.getByRole('status').getByText('Your password has been changed.').waitFor();

    await signIn(user.email, user.password);
    await page.getByRole('alert').getByText('Incorrect email or password.').waitFor();
    await signIn(user.email, 'Renewed2345');
    await page.getByRole('heading', { name: 'Your account' }).waitFor();

    await page.goto(link.url);
    await page.getByLabel('New password').fill('Another4567');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('This password reset link is invalid or has expired.').waitFor();
    await page.getByRole('link', { name: 'Ask for a new link' }).click();
    await page.getByRole('heading', { name: 'Forgotten password' }).waitFor();
  });

  it('confirms the e-mail address from the link in the verification e-mail, once', async () => {
    const user = await activeUser();
    const link = linkIn(await mailTo(sink, user.email, 'Confirm your e-mail address'), '/verify-email');
    expect(link.url.startsWith(`${baseUrl}/verify-email?token=`)).toBe(true);
    await page.goto(link.url);
    await page.getByText(`Your email address ${user.email} is confirmed.`).waitFor();
    await expectAccessible(page, 'verify-email');
    await screenshot(page, 'verify-email');
    const { rows } = await t.db.query<{ email_verified: boolean }>(
      'SELECT email_verified FROM users WHERE email = $1',
      [user.email],
    );
    expect(rows[0].email_verified).toBe(true);

    await page.reload();
    await page.getByText('This confirmation link is invalid or has expired.').waitFor();
  });

  it('sets up a second factor on /account, then signs in with a code, a recovery code, and turns it off', async () => {
    const user = await activeUser();
    await signInToAccount(user.email, user.password);
    await page.getByRole('button', { name: 'Set up a second factor' }).click();
    const qr = page.getByRole('img', { name: 'QR code of the key, for an authenticator app' });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;/);
    const secret = await page.locator('code.secret').innerText();
    await expectAccessible(page, 'account-second-factor');
    await screenshot(page, 'account-second-factor');

    await page.getByLabel('Authentication code').fill('12345');
    await page.getByRole('button', { name: 'Turn on the second factor' }).click();
    await page.getByText('code is not a valid authentication code').waitFor();
    const step = await freshStep();
    await page.getByLabel('Authentication code').fill(totpCode(secret, step));
    await page.getByRole('button', { name: 'Turn on the second factor' }).click();
    const codes = page.getByRole('list', { name: 'Your recovery codes' }).getByRole('listitem');
    await codes.first().waitFor();
    const recoveryCodes = await codes.allInnerTexts();
    expect(recoveryCodes).toHaveLength(10);
    await page.getByText('This is the only time they are shown.').waitFor();
    await page.getByRole('button', { name: 'I have stored them' }).click();
    await page.getByRole('button', { name: 'Turn off the second factor' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(user.email, user.password);
    const code = page.getByLabel('Authentication code');
    await code.fill('000000');
    await expectAccessible(page, 'login-second-factor');
    await screenshot(page, 'login-second-factor');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Invalid second factor: this code is wrong, expired or already used.').waitFor();
    expect(await code.getAttribute('aria-invalid')).toBe('true');
    // The step after the one that enabled it: a code already used is refused.
    await code.fill(totpCode(secret, step + 1));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(user.email, user.password);
    await page.getByLabel('Authentication code').fill(recoveryCodes[0]);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();

    await page.getByLabel('Password', { exact: true }).fill('Wrong12345');
    await page.getByLabel('Authentication code').fill(recoveryCodes[1]);
    await page.getByRole('button', { name: 'Turn off the second factor' }).click();
    await page.getByText('password is incorrect').waitFor();
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByLabel('Authentication code').fill(recoveryCodes[1]);
    await page.getByRole('button', { name: 'Turn off the second factor' }).click();
    await page.getByText('The second factor is off').waitFor();
    await page.getByRole('button', { name: 'Set up a second factor' }).waitFor();
  });

  it('lists the sessions with this device marked, ends another one, and changes the password', async () => {
    const user = await activeUser();
    const other = await t.http
      .post('/api/auth/login')
      .set('User-Agent', 'regshield-test-cli/1.0')
      .send({ email: user.email, password: user.password })
      .expect(200);
    await signInToAccount(user.email, user.password);
    const sessions = page.getByRole('region', { name: 'Sessions' });
    await sessions.getByText('this device').waitFor();
    await sessions.getByText('regshield-test-cli/1.0').waitFor();
    await expectAccessible(page, 'account');
    await screenshot(page, 'account');
    await page.getByRole('button', { name: /^End the session of regshield-test-cli\/1\.0/ }).click();
    await page.getByText('The session of regshield-test-cli/1.0 has ended.').waitFor();
    await sessions.getByText('regshield-test-cli/1.0').waitFor({ state: 'detached' });
    await t.http.post('/api/auth/refresh').send({ refresh_token: other.body.refresh_token }).expect(401);

    await page.getByLabel('Current password').fill('Wrong12345');
    await page.getByLabel('New password').fill('Changed3456');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('current_password is incorrect').waitFor();
    expect(await page.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Current password').fill(user.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password has been changed.').waitFor();
    await t.http.post('/api/auth/login').send({ email: user.email, password: 'Changed3456' }).expect(200);
  });

  it('refreshes an expired access token silently and repeats the request, and the page keeps working', async () => {
    const user = await activeUser();
    await t.http
      .post('/api/auth/login')
      .set('User-Agent', 'regshield-second-client/1.0')
      .send({ email: user.email, password: user.password })
      .expect(200);
    await signInToAccount(user.email, user.password);
    await page.getByRole('region', { name: 'Sessions' }).getByText('regshield-second-client/1.0').waitFor();
    const calls: string[] = [];
    page.on('response', (response: Response) => {
      const url = new URL(response.url());
      if (url.pathname.startsWith('/api/'))
        calls.push(`${response.request().method()} ${url.pathname} ${response.status()}`);
    });
    // Outlast the access token: this wait is what the test is about.
    await page.waitForTimeout(ACCESS_TOKEN_SECONDS * 1000 + 500);
    await page.getByRole('button', { name: /^End the session of regshield-second-client/ }).click();
    await page.getByText('The session of regshield-second-client/1.0 has ended.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/account');
    const deletes = calls.filter((call) => call.startsWith('DELETE /api/auth/sessions/'));
    expect(deletes.map((call) => call.split(' ')[2])).toEqual(['401', '204']);
    expect(calls).toContain('POST /api/auth/refresh 200');
  });

  it('keeps the admin console reachable from /account for an administrator', async () => {
    await signInToAccount(ADMIN.email, ADMIN.password);
    await page.getByRole('link', { name: 'Admin console' }).click();
    await page.getByRole('heading', { name: 'Pending sign-ups' }).waitFor();
  });
});
