import { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import {
  closeBrowserAndApp,
  closeTab,
  DESKTOP,
  launchChromium,
  missingForBrowserTests,
  openTab,
  screenshot,
  signInWithPassword,
} from '../support/browser';
import { describeWith } from '../support/required-tools';
import { freePort } from '../support/service-process';
import { ADMIN, newUser, startTestApp, TestApp } from '../support/test-app';

/** The passkeys of Chromium's virtual authenticator, as the DevTools protocol reports them. */
interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

/**
 * A platform authenticator in the page's browser context (Chromium's DevTools protocol): resident keys,
 * user verification that always succeeds, as a laptop's fingerprint reader would.
 */
async function addVirtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  return { cdp, authenticatorId };
}

async function credentialsOf(cdp: CDPSession, authenticatorId: string): Promise<VirtualCredential[]> {
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  return credentials;
}

describeWith(
  missingForBrowserTests(),
  'passkeys in Chromium with a virtual authenticator (real app, PostgreSQL)',
  () => {
    jest.setTimeout(90_000);
    let t: TestApp;
    let baseUrl: string;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let violations: string[];

    beforeAll(async () => {
      // PUBLIC_URL is the origin the browser signs for: the app's own address, known before it starts.
      const port = await freePort();
      baseUrl = `http://localhost:${port}`;
      t = await startTestApp({
        env: {
          PUBLIC_URL: baseUrl,
          REGISTRATION_MODE: 'open',
          REGISTER_RATE_LIMIT: '100',
          LOGIN_RATE_LIMIT: '100',
          ADMIN_NOTIFY: 'off',
          EMAIL_VERIFICATION: 'off',
          // Ordinary users are untouched by it; the admin needs a passkey, at once.
          ADMIN_MFA_REQUIRED: 'passkey',
          ADMIN_MFA_GRACE_DAYS: '0',
        },
      });
      await t.app.listen(port, 'localhost');
      browser = await launchChromium();
    });
    afterAll(() => closeBrowserAndApp(browser, t));
    beforeEach(async () => {
      ({ context, page, violations } = await openTab(browser, baseUrl));
    });
    afterEach(() => closeTab(context, violations));

    const signIn = (email: string, password: string) => signInWithPassword(page, email, password);

    /** A new active user, signed in on /account with the password. */
    const userOnAccountPage = async () => {
      const user = newUser();
      await t.http.post('/api/auth/register').send(user).expect(201);
      await page.goto('/account');
      await page.waitForURL('**/login?next=%2Faccount');
      await signIn(user.email, user.password);
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      return user;
    };

    const addPasskeyOnAccountPage = async (name: string) => {
      await page.getByLabel('Name of the new passkey').fill(name);
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByText(`The passkey ${name} has been added.`).waitFor();
      await page.getByRole('cell', { name, exact: true }).waitFor();
    };

    it('adds a passkey on /account, signs out, and signs in with it on /login without typing an e-mail', async () => {
      const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
      const user = await userOnAccountPage();
      await page.getByText('No passkeys yet.').waitFor();
      await addPasskeyOnAccountPage('Laptop');
      await screenshot(page, 'account-passkeys');
      const [held] = await credentialsOf(cdp, authenticatorId);
      expect(held).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
      // The same authenticator cannot add itself twice (the options exclude the account's passkeys).
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByText('This device already holds a passkey for your account.').waitFor();

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      const started = performance.now();
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      const elapsed = performance.now() - started;
      console.log(`Passkey sign-in in Chromium, click to signed-in page: ${Math.round(elapsed)} ms`);
      await page.getByText(user.email).first().waitFor();
      const listed = page.getByRole('region', { name: 'Passkeys' });
      await listed.getByRole('cell', { name: 'never' }).waitFor({ state: 'detached' });

      const { rows } = await t.db.query<{ sign_count: string }>(
        'SELECT sign_count FROM passkeys JOIN users ON users.id = passkeys.user_id WHERE users.email = $1',
        [user.email],
      );
      expect(Number(rows[0].sign_count)).toBeGreaterThan(0);

      await page.getByRole('button', { name: 'Remove the passkey Laptop' }).click();
      await page.getByRole('button', { name: 'Yes, remove the passkey Laptop' }).click();
      await page.getByText('The passkey Laptop has been removed.').waitFor();
      await page.getByText('No passkeys yet.').waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByText('This passkey was not accepted.').waitFor();
    });

    it('refuses a cloned passkey whose signature counter is behind the one last seen', async () => {
      const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
      const user = await userOnAccountPage();
      await addPasskeyOnAccountPage('Security key');
      const [original] = await credentialsOf(cdp, authenticatorId);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      const [used] = await credentialsOf(cdp, authenticatorId);
      expect(used.signCount).toBeGreaterThan(original.signCount);

      // Another browser holding a copy of the key taken before that sign-in: its counter lags behind.
      const cloneContext = await browser.newContext({ baseURL: baseUrl, viewport: DESKTOP });
      try {
        const clonePage = await cloneContext.newPage();
        const clone = await addVirtualAuthenticator(clonePage);
        await clone.cdp.send('WebAuthn.addCredential', {
          authenticatorId: clone.authenticatorId,
          credential: original,
        });
        await clonePage.goto('/login');
        await clonePage.getByRole('button', { name: 'Sign in with a passkey' }).click();
        await clonePage.getByText('This passkey was not accepted.').waitFor();
        expect(clonePage.url()).toBe(`${baseUrl}/login`);
      } finally {
        await cloneContext.close();
      }
      expect(t.securityEvents()).toContainEqual(
        expect.objectContaining({ event: 'login_failed', email: user.email, reason: 'counter_not_increased' }),
      );
      // The original still signs in.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
    });

    it('sends an admin without the passkey ADMIN_MFA_REQUIRED asks for to /account, and opens the console once added', async () => {
      await addVirtualAuthenticator(page);
      const token = await t.login(ADMIN.email, ADMIN.password);
      const refused = await t.http.get('/api/admin/users').set('Authorization', `Bearer ${token}`).expect(403);
      expect(refused.body.message).toBe('Administrators need a passkey: add one on /account');

      await page.goto('/admin/users');
      await page.waitForURL('**/login?next=%2Fadmin%2Fusers');
      await signIn(ADMIN.email, ADMIN.password);
      await page.waitForURL('**/account');
      await page
        .getByRole('alert')
        .getByText('Administrators need a passkey. The admin console is closed to you until you add one.')
        .waitFor();
      await screenshot(page, 'account-admin-factor');
      await addPasskeyOnAccountPage('Admin laptop');
      await page.getByRole('alert').getByText('Administrators need a passkey.').waitFor({ state: 'detached' });
      await t.http.get('/api/admin/users').set('Authorization', `Bearer ${token}`).expect(200);

      await page.getByRole('link', { name: 'Admin console' }).click();
      await page.getByRole('heading', { name: 'Pending sign-ups' }).waitFor();
      // Its only passkey stays: removing it would lock the admin out of the console.
      await page.goto('/account');
      await page.getByRole('button', { name: 'Remove the passkey Admin laptop' }).click();
      await page.getByRole('button', { name: 'Yes, remove the passkey Admin laptop' }).click();
      await page.getByText(/^Cannot remove the last second factor of an administrator/).waitFor();
    });
  },
);
