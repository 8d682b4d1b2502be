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
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const API_KEY = 'proxy-key-0123456789abcdef';
const DOMAIN = 'sip.example.com';
const ATTACKER = '203.0.113.40';

/**
 * The SIP door's account alerts and account blocks pages in Chromium, against the real app over HTTP and a
 * real database: a compromise ingested as the proxy reports it, then handled from the console.
 */
describeWith(missingForBrowserTests(), 'the console pages of account alerts and blocks in Chromium', () => {
  jest.setTimeout(90_000);
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    t = await startTestApp({ env: { SIP_INGEST_API_KEY: API_KEY } });
    baseUrl = await listenOnLocalhost(t);
    browser = await launchChromium();
    // A source fails account 3000 twice, then registers it: a credential compromise, its source banned and
    // the account blocked (SIP_COMPROMISE_ACTION=block, the default).
    await t.http
      .post('/api/sip-security/failed-registrations')
      .set('X-Api-Key', API_KEY)
      .send([1, 2].map(() => ({ username: '3000', domain: DOMAIN, source_ip: ATTACKER, response_code: 403 })))
      .expect(202);
    await t.http
      .post('/api/sip-security/registrations')
      .set('X-Api-Key', API_KEY)
      .send({ username: '3000', domain: DOMAIN, source_ip: ATTACKER, user_agent: 'friendly-scanner' })
      .expect(202);
    const admin = await t.login(ADMIN.email, ADMIN.password);
    await eventually(async () => {
      const blocks = await t.http.get('/api/sip-security/account-blocks').set('Authorization', `Bearer ${admin}`);
      return (blocks.body as unknown[]).length > 0;
    });
  });
  afterAll(() => closeBrowserAndApp(browser, t));
  beforeEach(async () => {
    ({ context, page, violations } = await openTab(browser, baseUrl));
  });
  afterEach(() => closeTab(context, violations));

  const signIn = () => signInWithPassword(page, ADMIN.email, ADMIN.password);
  const subnav = () => page.getByRole('navigation', { name: 'SIP door pages' });

  it('shows the alert with its evidence as facts and its source linked, counts it unresolved, resolves it after asking', async () => {
    await page.goto('/admin/sip/account-alerts');
    await signIn();
    await page.getByRole('heading', { name: 'Account alerts', level: 1 }).waitFor();
    await subnav().getByRole('link', { name: 'Account alerts (1 unresolved)' }).waitFor();

    const row = page
      .getByRole('region', { name: 'Account alerts', exact: true })
      .getByRole('row')
      .filter({ hasText: `3000@${DOMAIN}` });
    await row.waitFor();
    expect(await row.locator('td[data-label="Kind"]').innerText()).toBe('Credential compromise');
    const evidence = row.locator('td[data-label="Evidence"] dl');
    expect(await evidence.locator('dt').allInnerTexts()).toEqual(
      expect.arrayContaining(['Rule', 'Failures for this account', 'User agent']),
    );
    await evidence.getByText('It failed to register this account, then succeeded').waitFor();
    await evidence.getByText('friendly-scanner').waitFor();
    expect(await evidence.innerText()).not.toContain('{');
    expect(await row.getByRole('link', { name: ATTACKER }).getAttribute('href')).toBe(`/admin/sip/sources/${ATTACKER}`);
    await screenshot(page, 'admin-sip-account-alerts');
    await expectAccessible(page, 'account alerts');

    // Filtered to another kind: nothing; back to every kind: the alert.
    await page.getByLabel('Kind').selectOption('new_network');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No alert matches these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await row.waitFor();

    await row.getByRole('button', { name: `Resolve the alert on 3000@${DOMAIN} from ${ATTACKER}` }).click();
    await page.getByRole('group', { name: /^Mark the alert on 3000@sip\.example\.com handled\?/ }).waitFor();
    await page.getByRole('button', { name: `Yes, resolve the alert on 3000@${DOMAIN} from ${ATTACKER}` }).click();
    await page.getByText(`Alert on 3000@${DOMAIN} resolved.`).waitFor();
    await row
      .locator('td[data-label="State"]')
      .getByText(/^Resolved /)
      .waitFor();
    await subnav().getByRole('link', { name: 'Account alerts', exact: true }).waitFor();

    // The source's page, from the link: trusted no more (it drew a compromise alert), the account it registered.
    await row.getByRole('link', { name: ATTACKER }).click();
    await page.getByRole('heading', { name: `Source ${ATTACKER}`, level: 1 }).waitFor();
    await page
      .getByRole('table', { name: `Accounts registered from ${ATTACKER}` })
      .getByText(`3000@${DOMAIN}`)
      .waitFor();
    expect(await page.locator('dt:text-is("Trusted") + dd').innerText()).toBe('No');
  });

  it('lists the block the compromise made and lifts it after asking; adds one by hand, a refusal beside its field', async () => {
    await page.goto('/admin/sip/account-blocks');
    await signIn();
    await page.getByRole('heading', { name: 'Account blocks', level: 1 }).waitFor();
    const table = page.getByRole('region', { name: 'Account blocks', exact: true });
    const rowOf = (account: string) => table.getByRole('row').filter({ hasText: account });
    await rowOf(`3000@${DOMAIN}`).waitFor();
    expect(await rowOf(`3000@${DOMAIN}`).locator('td[data-label="From"]').innerText()).toBe('Every address');
    expect(await rowOf(`3000@${DOMAIN}`).locator('td[data-label="Made by"]').innerText()).toMatch(
      /^The rules \(alert #\d+\)$/,
    );
    expect(await rowOf(`3000@${DOMAIN}`).locator('td[data-label="Ends"]').innerText()).toBe('When lifted');

    // Refused: the API's words beside the address field, nothing added.
    await page.getByLabel('Username').fill('4000');
    await page.getByLabel('Domain').fill(DOMAIN);
    await page.getByLabel('Reason').fill('a phone with a stale password');
    await page.getByLabel('Only from address').fill('not-an-address');
    await page.getByRole('button', { name: 'Block account' }).click();
    await page.getByRole('textbox', { name: 'Only from address' }).and(page.locator('[aria-invalid="true"]')).waitFor();
    expect(await page.locator('.field-errors').innerText()).toMatch(/source_ip/);
    expect(await rowOf(`4000@${DOMAIN}`).count()).toBe(0);

    await page.getByLabel('Only from address').fill('198.51.100.7');
    await page.getByLabel('Duration (seconds)').fill('3600');
    await page.getByRole('button', { name: 'Block account' }).click();
    await page.getByText(`4000@${DOMAIN} blocked at the proxy within a second.`).waitFor();
    await rowOf(`4000@${DOMAIN}`).waitFor();
    expect(await rowOf(`4000@${DOMAIN}`).locator('td[data-label="Made by"]').innerText()).toBe('An admin');
    expect(await rowOf(`4000@${DOMAIN}`).getByRole('link', { name: '198.51.100.7' }).getAttribute('href')).toBe(
      '/admin/sip/sources/198.51.100.7',
    );
    await screenshot(page, 'admin-sip-account-blocks');
    await expectAccessible(page, 'account blocks');

    await page.getByRole('button', { name: `Lift the block on 3000@${DOMAIN}` }).click();
    await page.getByRole('group', { name: /^Lift the block on 3000@sip\.example\.com\?/ }).waitFor();
    await page.getByRole('button', { name: `Yes, lift the block on 3000@${DOMAIN}` }).click();
    await page.getByText(`Block on 3000@${DOMAIN} lifted`).waitFor();
    await rowOf(`3000@${DOMAIN}`).waitFor({ state: 'detached' });
    await rowOf(`4000@${DOMAIN}`).waitFor();

    const admin = await t.login(ADMIN.email, ADMIN.password);
    const audit = await t.db.query(
      `SELECT event, details->>'username' AS username FROM audit_events
        WHERE event IN ('sip_account_blocked', 'sip_account_unblocked') AND actor_id IS NOT NULL ORDER BY id`,
    );
    expect(audit.rows).toEqual([
      { event: 'sip_account_blocked', username: '4000' },
      { event: 'sip_account_unblocked', username: '3000' },
    ]);
    const blocks = await t.http.get('/api/sip-security/account-blocks').set('Authorization', `Bearer ${admin}`);
    expect((blocks.body as Array<{ username: string }>).map(({ username }) => username)).toEqual(['4000']);
  });

  it('shows a new alert and its count on the open page as the live stream announces it, without a reload', async () => {
    await page.goto('/admin/sip/account-alerts');
    await signIn();
    await page.getByRole('heading', { name: 'Account alerts', level: 1 }).waitFor();
    await page.locator('.live-state[data-connection="live"]').waitFor({ timeout: 30_000 });
    await subnav().getByRole('link', { name: 'Account alerts', exact: true }).waitFor();

    await t.http
      .post('/api/sip-security/failed-registrations')
      .set('X-Api-Key', API_KEY)
      .send({ username: '3100', domain: DOMAIN, source_ip: '203.0.113.41', response_code: 403 })
      .expect(202);
    await t.http
      .post('/api/sip-security/registrations')
      .set('X-Api-Key', API_KEY)
      .send({ username: '3100', domain: DOMAIN, source_ip: '203.0.113.41' })
      .expect(202);
    // Well within the one-minute poll the page keeps while the stream is live.
    const row = page
      .getByRole('region', { name: 'Account alerts', exact: true })
      .getByRole('row')
      .filter({ hasText: `3100@${DOMAIN}` });
    await row.waitFor({ timeout: 10_000 });
    await subnav().getByRole('link', { name: 'Account alerts (1 unresolved)' }).waitFor({ timeout: 10_000 });
  });
});
