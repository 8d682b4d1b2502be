import { Browser, BrowserContext, Page } from 'playwright-core';
import { expectAccessible } from '../support/accessibility';
import {
  closeBrowserAndApp,
  closeTab,
  launchChromium,
  listenOnLocalhost,
  missingForBrowserTests,
  openTab,
  screenshot,
  signInWithPassword,
} from '../support/browser';
import { describeWith } from '../support/required-tools';
import { doorKnock, failedRegistration } from '../support/sip-events';
import { ADMIN, newUser, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

const API_KEY = 'proxy-key-0123456789abcdef';

/** Chromium's first-contentful-paint of the page loaded last, in whole milliseconds after navigation start. */
async function firstContentfulPaint(page: Page): Promise<number> {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const paint = await page.evaluate(
    () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? performance.now(),
  );
  return Math.round(paint);
}

describeWith(missingForBrowserTests(), 'the web console in Chromium (real app over HTTP, real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    t = await startTestApp({
      env: { SIP_INGEST_API_KEY: API_KEY, REGISTER_RATE_LIMIT: '100', LOGIN_RATE_LIMIT: '100' },
    });
    baseUrl = await listenOnLocalhost(t);
    browser = await launchChromium();
  });
  afterAll(() => closeBrowserAndApp(browser, t));
  beforeEach(async () => {
    ({ context, page, violations } = await openTab(browser, baseUrl, 10_000));
  });
  afterEach(() => closeTab(context, violations));

  const signIn = (email: string, password: string) => signInWithPassword(page, email, password);

  it('serves every app page, deep links included, with a strict CSP, and leaves the API and /docs as they were', async () => {
    for (const path of ['/login', '/register', '/admin', '/admin/users', '/admin/users/123', '/account']) {
      const response = await fetch(`${baseUrl}${path}`);
      expect({ path, status: response.status, type: response.headers.get('content-type') }).toEqual({
        path,
        status: 200,
        type: 'text/html; charset=utf-8',
      });
      const policy = response.headers.get('content-security-policy');
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain('unsafe-inline');
      expect(policy).not.toContain('unsafe-eval');
      expect(await response.text()).toContain('<div id="root"></div>');
    }
    const root = await fetch(`${baseUrl}/`, { redirect: 'manual' });
    expect({ status: root.status, location: root.headers.get('location') }).toEqual({
      status: 302,
      location: '/admin',
    });
    const api = await fetch(`${baseUrl}/api/admin/nothing`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    const missing = await fetch(`${baseUrl}/no-such-page`);
    expect(missing.status).toBe(404);
    const docs = await fetch(`${baseUrl}/docs-json`);
    expect(docs.status).toBe(200);
  });

  it('shows the generic message for a refused login, in words, and stays on /login', async () => {
    await page.goto('/login');
    const coldPaint = await firstContentfulPaint(page);
    await page.reload();
    const warmPaint = await firstContentfulPaint(page);
    console.log(`first-contentful-paint of /login: ${coldPaint} ms cold, ${warmPaint} ms from the browser's cache`);
    await expectAccessible(page, 'login');
    await screenshot(page, 'login');
    await signIn(ADMIN.email, 'WrongPass123');
    await page.getByRole('alert').getByText('Incorrect email or password.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await signIn('nobody@example.com', 'WrongPass123');
    await page.getByRole('alert').getByText('Incorrect email or password.').waitFor();
  });

  it('lets a visitor sign up: the password rules follow the typing, a taken email is refused next to its field', async () => {
    const user = newUser();
    await page.goto('/register');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByText('8 to 200 characters (not yet)').waitFor();
    await page.getByText('a lower-case letter (met)').waitFor();
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Full name').fill(user.full_name);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByText('8 to 200 characters (met)').waitFor();
    await expectAccessible(page, 'register');
    await screenshot(page, 'register');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('An administrator will review your sign-up').waitFor();

    await page.goto('/register');
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Full name').fill(user.full_name);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    const email = page.getByRole('textbox', { name: 'Email' });
    await page.getByText('An account with this email already exists.').waitFor();
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'register with a refused field');
  });

  it('lets an admin sign in and approve a pending sign-up', async () => {
    const user = newUser();
    const created = await t.http.post('/api/auth/register').send(user).expect(201);
    await page.goto('/admin');
    await page.waitForURL('**/login?next=%2Fadmin');
    await signIn(ADMIN.email, ADMIN.password);
    await page.getByRole('heading', { name: 'Pending sign-ups' }).waitFor();
    const pendingLink = page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: /^Pending sign-ups/ });
    expect(await pendingLink.innerText()).toMatch(/^Pending sign-ups\s*\d+/);
    await page.getByRole('cell', { name: user.email, exact: true }).waitFor();
    await page.getByRole('button', { name: `Approve ${user.email}` }).click();
    await page.getByText(`${user.email} approved.`).waitFor();
    await page.getByRole('cell', { name: user.email, exact: true }).waitFor({ state: 'detached' });
    const admin = await t.login(ADMIN.email, ADMIN.password);
    const users = await t.http.get('/api/admin/users').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(users.body.find((u: { id: string }) => u.id === created.body.id)).toMatchObject({ status: 'active' });

    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('cell', { name: user.email, exact: true }).waitFor();
    await page.getByRole('button', { name: `Promote ${user.email}` }).click();
    await page.getByText(`${user.email} made an administrator.`).waitFor();
    // Nothing offered on your own row that the API would refuse.
    const ownRow = page.getByRole('row').filter({ has: page.getByRole('cell', { name: ADMIN.email, exact: true }) });
    await ownRow.waitFor();
    expect(await ownRow.getByRole('button').allInnerTexts()).toEqual([]);
    await expectAccessible(page, 'admin-users');
    await screenshot(page, 'admin-users');
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await page.getByLabel('Event', { exact: true }).selectOption('admin_action');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('cell', { name: 'admin_action' }).first().waitFor();
    // Who acted on whom by address, to the second, the details as labelled fields.
    const promotion = page.getByRole('row').filter({ hasText: 'promote' }).first();
    await promotion.getByRole('link', { name: ADMIN.email }).waitFor();
    await promotion.getByRole('link', { name: user.email }).waitFor();
    expect(await promotion.locator('time').innerText()).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    expect(await promotion.locator('dt').allInnerTexts()).toContain('Action');
    await expectAccessible(page, 'admin-audit');
    await screenshot(page, 'admin-audit');
    await promotion.getByRole('button', { name: `Filter: only events of ${user.email}` }).click();
    await page.getByRole('cell', { name: 'user_created' }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'login_failed' }).count()).toBe(0);
  });

  it('keeps a signed-in admin on a reloaded deep link (silent refresh from the cookie) until signing out', async () => {
    await page.goto('/admin/users');
    await page.waitForURL('**/login?next=%2Fadmin%2Fusers');
    await signIn(ADMIN.email, ADMIN.password);
    await page.waitForURL('**/admin/users');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'regshield_refresh');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/api/auth' });

    await page.reload();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/users');
    const other = await context.newPage();
    await other.goto('/admin/audit');
    await other.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await other.close();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto('/admin/users');
    await page.waitForURL('**/login?next=%2Fadmin%2Fusers');
  });

  it('returns to /login when the session ends on the server, and back to the page after signing in again', async () => {
    const admin = { Authorization: `Bearer ${await t.login(ADMIN.email, ADMIN.password)}` };
    const second = newUser();
    const created = await t.http.post('/api/auth/register').send(second).expect(201);
    await t.http.post(`/api/admin/users/${created.body.id}/activate`).set(admin).expect(200);
    await t.http.post(`/api/admin/users/${created.body.id}/promote`).set(admin).expect(200);
    await page.goto('/admin/pending');
    await signIn(second.email, second.password);
    await page.getByRole('heading', { name: 'Pending sign-ups' }).waitFor();

    await t.http.post(`/api/admin/users/${created.body.id}/demote`).set(admin).expect(200);
    await t.http.post(`/api/admin/users/${created.body.id}/deactivate`).set(admin).expect(200);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.waitForURL('**/login?next=%2Fadmin%2Fusers');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(ADMIN.email, ADMIN.password);
    await page.waitForURL('**/admin/users');
  });

  it('shows the SIP door: charts of ingested events, sources, bans lifted and added, the allowlist', async () => {
    await t.http
      .post('/api/sip-security/failed-registrations')
      .set('X-Api-Key', API_KEY)
      .send([1, 2, 3, 4, 5, 6].map(() => failedRegistration('192.0.2.77')))
      .expect(202);
    await t.http
      .post('/api/sip-security/door-knocks')
      .set('X-Api-Key', API_KEY)
      .send([doorKnock('192.0.2.78'), doorKnock('192.0.2.78', { reason: 'domain_mismatch' })])
      .expect(202);
    const admin = { Authorization: `Bearer ${await t.login(ADMIN.email, ADMIN.password)}` };
    await waitFor(async () => {
      const bans = await t.http.get('/api/sip-security/bans').set(admin).expect(200);
      return (bans.body as Array<{ cidr: string }>).some((ban) => ban.cidr === '192.0.2.77/32') ? true : undefined;
    });

    await page.goto('/admin/sip');
    await signIn(ADMIN.email, ADMIN.password);
    await page.waitForURL('**/admin/sip');
    const hourly = page.getByRole('img', { name: /^Failed registrations and door knocks per hour/ });
    await hourly.waitFor();
    expect(await hourly.getAttribute('aria-label')).toContain('6 failed registrations, 2 door knocks');
    await hourly.locator('canvas').waitFor();
    await page
      .getByRole('img', { name: /^Bans per hour/ })
      .locator('canvas')
      .waitFor();
    await page.getByRole('region', { name: 'Top sources' }).getByRole('cell', { name: '192.0.2.77' }).waitFor();
    await page.getByRole('button', { name: 'Lift ban on 192.0.2.77/32' }).waitFor();
    await expectAccessible(page, 'admin-sip');
    await screenshot(page, 'admin-sip');

    await page.getByRole('radio', { name: 'By day' }).check();
    await page
      .getByRole('img', { name: /^Failed registrations and door knocks per day/ })
      .locator('canvas')
      .waitFor();

    await page.getByRole('button', { name: 'Lift ban on 192.0.2.77/32' }).click();
    await page.getByRole('group', { name: /^Lift the ban on 192\.0\.2\.77\/32\?/ }).waitFor();
    await page.getByRole('button', { name: 'Yes, lift ban on 192.0.2.77/32' }).click();
    await page.getByText('Ban on 192.0.2.77/32 lifted.').waitFor();

    await page.getByLabel('CIDR to ban').fill('not-an-address');
    await page.getByLabel('Reason', { exact: true }).fill('scanner');
    await page.getByRole('button', { name: 'Add ban' }).click();
    await page.getByRole('textbox', { name: 'CIDR to ban' }).and(page.locator('[aria-invalid="true"]')).waitFor();
    await page.getByLabel('CIDR to ban').fill('203.0.113.0/24');
    await page.getByRole('button', { name: 'Add ban' }).click();
    await page.getByRole('button', { name: 'Lift ban on 203.0.113.0/24' }).waitFor();

    // Too wide: refused naming what was typed; the page has the control the message asks for.
    await page.getByLabel('CIDR to ban').fill('10.0.0.0/4');
    await page.getByLabel('Reason', { exact: true }).fill('typo');
    await page.getByRole('button', { name: 'Add ban' }).click();
    await page.getByText('cidr 10.0.0.0/4 (the network 0.0.0.0/4) is wider').waitFor();
    await page.getByRole('checkbox', { name: /^Ban it even if it is wider/ }).check();
    await page.getByRole('button', { name: 'Add ban' }).click();
    await page.getByText('0.0.0.0/4 banned (the network of 10.0.0.0/4).').waitFor();
    await page.getByRole('button', { name: 'Lift ban on 0.0.0.0/4' }).click();
    await page.getByRole('button', { name: 'Yes, lift ban on 0.0.0.0/4' }).click();
    await page.getByText('Ban on 0.0.0.0/4 lifted.').waitFor();

    await page.getByLabel('CIDR to allowlist').fill('198.51.100.0/24');
    await page.getByLabel('Description', { exact: true }).fill('Trunk provider');
    await page.getByRole('button', { name: 'Add to allowlist' }).click();
    await page.getByRole('button', { name: 'Remove 198.51.100.0/24 from the allowlist' }).click();
    await page.getByRole('button', { name: 'Yes, remove 198.51.100.0/24 from the allowlist' }).click();
    await page.getByText('198.51.100.0/24 removed from the allowlist.').waitFor();

    // An entry of SIP_ALLOWLIST says so, and removing it warns that it comes back at the next start.
    const configured = page.getByRole('row').filter({ hasText: '127.0.0.0/8' });
    await configured.getByRole('cell', { name: 'The SIP_ALLOWLIST variable' }).waitFor();
    await configured.getByRole('button', { name: 'Remove 127.0.0.0/8 from the allowlist' }).click();
    await page.getByText(/returns at the next start/).waitFor();
    await page.keyboard.press('Escape');
  });

  it("keeps a superuser's own page inside the console, with its navigation", async () => {
    await page.goto('/account');
    await signIn(ADMIN.email, ADMIN.password);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await expectAccessible(page, 'account inside the console');
    const nav = page.getByRole('navigation', { name: 'Console' });
    await nav.getByRole('link', { name: 'Users' }).click();
    await page.waitForURL('**/admin/users');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(await page.locator('main').count()).toBe(1);
  });
});
