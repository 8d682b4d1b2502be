import { Browser, Page } from 'playwright-core';
import { expectAccessible } from '../support/accessibility';
import {
  closeBrowserAndApp,
  launchChromium,
  listenOnLocalhost,
  missingForBrowserTests,
  openTab,
  screenshot,
  signInWithPassword,
} from '../support/browser';
import { describeWith } from '../support/required-tools';
import { SoftwarePasskey } from '../support/software-authenticator';
import { currentStep, totpCode } from '../support/totp';
import { ADMIN, credentials, newUser, startTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const LOCKOUT_AFTER = 2;
/** What the passkeys made over HTTP are bound to (the console itself only lists and removes them here). */
const PUBLIC_URL = 'https://regshield.example.com';

describeWith(
  missingForBrowserTests(),
  'the console’s user administration in Chromium (real app, real PostgreSQL)',
  () => {
    jest.setTimeout(60_000);
    let t: TestApp;
    let browser: Browser;
    let page: Page;
    let violations: string[];
    let admin: { Authorization: string };

    beforeAll(async () => {
      t = await startTestApp({
        env: { PUBLIC_URL, REGISTER_RATE_LIMIT: '100', ACCOUNT_LOCKOUT_MAX_FAILURES: String(LOCKOUT_AFTER) },
      });
      const baseUrl = await listenOnLocalhost(t);
      browser = await launchChromium();
      admin = { Authorization: `Bearer ${await t.login(ADMIN.email, ADMIN.password)}` };
      ({ page, violations } = await openTab(browser, baseUrl, 10_000));
      // One signed-in page for the whole file: each test starts from a console page of its own.
      await page.goto('/admin/users');
      await signInWithPassword(page, ADMIN.email, ADMIN.password);
      await page.getByRole('heading', { name: 'Users' }).waitFor();
    });
    afterAll(() => closeBrowserAndApp(browser, t));
    afterEach(() => expect(violations).toEqual([]));

    /** Goes to a console page inside the app (no reload: the session lives in the page's memory). */
    const open = async (link: string, heading: string) => {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: link }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    };

    const register = async (overrides: Record<string, unknown> = {}) => {
      const user = newUser(overrides);
      const response = await t.http.post('/api/auth/register').send(user).expect(201);
      return { ...user, id: response.body.id as string };
    };

    const statusOf = async (id: string) =>
      (await t.http.get(`/api/admin/users/${id}`).set(admin).expect(200)).body.status as string;

    it('approves several pending sign-ups at once, and shows whether each e-mail is verified', async () => {
      const [first, second, third] = [await register(), await register(), await register()];
      await t.db.query('UPDATE users SET email_verified = true WHERE id = $1', [first.id]);
      await open('Pending sign-ups', 'Pending sign-ups');
      const row = (email: string) => page.getByRole('row').filter({ has: page.getByRole('cell', { name: email }) });
      await row(first.email).getByText('verified', { exact: true }).waitFor();
      await row(second.email).getByText('not verified', { exact: true }).waitFor();

      await page.getByRole('checkbox', { name: `Select ${first.email}` }).check();
      await page.getByRole('checkbox', { name: `Select ${second.email}` }).check();
      await page.getByText('2 selected').waitFor();
      await expectAccessible(page, 'admin-pending');
      await screenshot(page, 'admin-pending');
      await page.getByRole('button', { name: 'Approve selected' }).click();
      await page.getByText('2 sign-ups approved.').waitFor();
      await page.getByRole('cell', { name: first.email, exact: true }).waitFor({ state: 'detached' });
      expect([await statusOf(first.id), await statusOf(second.id), await statusOf(third.id)]).toEqual([
        'active',
        'active',
        'pending',
      ]);

      await page.getByRole('checkbox', { name: 'Select all sign-ups shown' }).check();
      expect(await page.getByRole('checkbox', { name: `Select ${third.email}` }).isChecked()).toBe(true);
      await page.getByRole('button', { name: 'Refuse selected' }).click();
      await page.getByText(`${third.email} refused.`).waitFor();
      expect(await statusOf(third.id)).toBe('deactivated');
      await page.getByText('No sign-up is waiting for approval.').waitFor();

      // An id the API refuses (here: the account vanished after the page listed it) is reported in words.
      const [kept, vanished] = [await register(), await register()];
      await open('Users', 'Users');
      await open('Pending sign-ups', 'Pending sign-ups');
      await page.getByRole('checkbox', { name: 'Select all sign-ups shown' }).check();
      await t.db.query('DELETE FROM users WHERE id = $1', [vanished.id]);
      await page.getByRole('button', { name: 'Approve selected' }).click();
      await page.getByText('1 of 2 approved.').waitFor();
      await page.getByRole('alert').getByText(`${vanished.email}: User not found`).waitFor();
      expect(await statusOf(kept.id)).toBe('active');
    });

    it('searches users by text, filters them by status and role, and opens a user’s page', async () => {
      const marker = `zebra${Date.now()}`;
      const pending = await register({ full_name: `Pending ${marker}` });
      const active = await register({ full_name: `Active ${marker}` });
      await t.http.post(`/api/admin/users/${active.id}/activate`).set(admin).expect(200);
      await open('Users', 'Users');
      const search = page.getByRole('search', { name: 'Find users' });
      const listed = (email: string) => page.getByRole('main').getByRole('link', { name: email, exact: true });

      await search.getByLabel('Search').fill(marker.toUpperCase());
      await search.getByRole('button', { name: 'Search' }).click();
      await listed(pending.email).waitFor();
      await listed(active.email).waitFor();
      await listed(ADMIN.email).waitFor({ state: 'detached' });

      await search.getByLabel('Status').selectOption('active');
      await search.getByRole('button', { name: 'Search' }).click();
      await listed(pending.email).waitFor({ state: 'detached' });
      await listed(active.email).waitFor();

      await search.getByLabel('Role').selectOption('admin');
      await search.getByRole('button', { name: 'Search' }).click();
      await page.getByText('No user matches these filters.').waitFor();

      await search.getByRole('button', { name: 'Clear' }).click();
      await search.getByLabel('Role').selectOption('admin');
      await search.getByRole('button', { name: 'Search' }).click();
      await listed(ADMIN.email).waitFor();
      await listed(active.email).waitFor({ state: 'detached' });

      await search.getByRole('button', { name: 'Clear' }).click();
      await listed(active.email).click();
      await page.getByRole('heading', { name: active.email }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/admin/users/${active.id}`);
    });

    it('a user’s page: signs the user out everywhere, unlocks, removes a passkey and every second factor, sends a reset e-mail', async () => {
      const user = await register();
      await t.http.post(`/api/admin/users/${user.id}/activate`).set(admin).expect(200);
      const token = await t.login(user.email, user.password);
      const bearer = { Authorization: `Bearer ${token}` };
      const setup = await t.http.post('/api/auth/mfa/totp/setup').set(bearer).expect(200);
      await t.http
        .post('/api/auth/mfa/totp/enable')
        .set(bearer)
        .send({ code: totpCode(setup.body.secret as string, currentStep()) })
        .expect(200);
      for (const name of ['Laptop', 'Phone']) {
        const options = await t.http.post('/api/auth/passkeys/register/options').set(bearer).expect(200);
        await t.http
          .post('/api/auth/passkeys/register/verify')
          .set(bearer)
          .send({ name, credential: new SoftwarePasskey(PUBLIC_URL).register(options.body) })
          .expect(201);
      }
      for (let attempt = 0; attempt < LOCKOUT_AFTER; attempt += 1) {
        await t.http
          .post('/api/auth/login')
          .send({ ...credentials(user), password: 'Wrong12345' })
          .expect(401);
      }
      // Security events reach the audit table in batches a moment later; the page reads them once.
      await eventually(async () => {
        const stored = await t.http
          .get('/api/admin/audit')
          .query({ event: 'account_locked', target_id: user.id })
          .set(admin)
          .expect(200);
        return (stored.body as unknown[]).length > 0;
      });

      await open('Users', 'Users');
      await page.getByRole('link', { name: user.email }).click();
      await page.getByRole('heading', { name: user.email }).waitFor();
      await page.getByText(/^Locked after too many failed sign-ins, until /).waitFor();
      await page.getByRole('region', { name: 'Session list' }).getByRole('row').nth(1).waitFor();
      await page.getByRole('cell', { name: 'account_locked' }).waitFor();
      const passkeys = page.getByRole('region', { name: 'Passkeys' });
      await passkeys.getByRole('cell', { name: 'Phone', exact: true }).waitFor();
      await expectAccessible(page, 'admin-user');
      await screenshot(page, 'admin-user');

      await page.getByRole('button', { name: 'Sign out everywhere' }).click();
      const confirm = page.getByRole('button', { name: 'Yes, sign out everywhere' });
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Yes, sign out everywhere');
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: 'Sign out everywhere' }).click();
      await confirm.click();
      await page.getByText(`${user.email} is signed out everywhere.`).waitFor();
      await page.getByText('No active session.').waitFor();
      await t.http.get('/api/auth/me').set(bearer).expect(401);

      await page.getByRole('button', { name: 'Unlock' }).click();
      await page.getByText(`${user.email} unlocked: they can sign in again.`).waitFor();
      await page.getByText('Not locked.').waitFor();

      // The lost device's passkey alone: the other one and the authenticator app stay.
      await page.getByRole('button', { name: 'Remove the passkey Phone' }).click();
      await page.getByRole('button', { name: 'Yes, remove the passkey Phone' }).click();
      await page.getByText(`The passkey Phone of ${user.email} has been removed.`).waitFor();
      await passkeys.getByRole('cell', { name: 'Phone', exact: true }).waitFor({ state: 'detached' });
      const left = await t.http.get(`/api/admin/users/${user.id}/passkeys`).set(admin).expect(200);
      expect(left.body.map((passkey: { name: string }) => passkey.name)).toEqual(['Laptop']);

      await page.getByRole('button', { name: 'Remove second factor' }).click();
      await page
        .getByRole('group', {
          name: /^Remove every second factor of .*: the authenticator app, its recovery codes and every passkey\?/,
        })
        .waitFor();
      await expectAccessible(page, 'admin-user-remove-second-factor');
      await page.getByRole('button', { name: 'Yes, remove second factor' }).click();
      await page.getByText(`Every second factor of ${user.email} removed`).waitFor();
      await page.getByText('Off.', { exact: true }).waitFor();
      expect((await t.http.get(`/api/admin/users/${user.id}/passkeys`).set(admin).expect(200)).body).toEqual([]);
      await t.http.post('/api/auth/login').send(credentials(user)).expect(200);

      await page.getByRole('button', { name: 'Send password reset e-mail' }).click();
      await page.getByText(`A password reset e-mail is on its way to ${user.email}.`).waitFor();
      await page.getByRole('cell', { name: 'account_unlocked' }).waitFor();

      await page.getByRole('button', { name: 'Deactivate' }).click();
      await page.getByRole('button', { name: 'Yes, deactivate' }).click();
      await page.getByText(`${user.email} deactivated.`).waitFor();
      expect(await statusOf(user.id)).toBe('deactivated');
    });
  },
);
