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
import { doorKnock, failedRegistration } from '../support/sip-events';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

const API_KEY = 'proxy-key-0123456789abcdef';
const SCANNER = '192.0.2.77';
const KNOCKER = '192.0.2.78';

describeWith(missingForBrowserTests(), 'a SIP source and a ban in the console (Chromium, real app)', () => {
  jest.setTimeout(90_000);
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let violations: string[];
  let admin: { Authorization: string };

  const activeBanOf = async (cidr: string) => {
    const bans = await t.http.get('/api/sip-security/bans').set(admin).expect(200);
    return (bans.body as Array<{ id: number; cidr: string }>).find((ban) => ban.cidr === cidr);
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { SIP_INGEST_API_KEY: API_KEY, SIP_DECOY_USERNAMES: 'admin' } });
    const baseUrl = await listenOnLocalhost(t);
    admin = { Authorization: `Bearer ${await t.login(ADMIN.email, ADMIN.password)}` };
    await t.http
      .post('/api/sip-security/failed-registrations')
      .set('X-Api-Key', API_KEY)
      .send(
        ['1000', '1001', '1002', '1000', '1001', '1000'].map((username, index) =>
          failedRegistration(SCANNER, { username, user_agent: index % 2 ? 'sipvicious' : 'friendly-scanner' }),
        ),
      )
      .expect(202);
    await t.http
      .post('/api/sip-security/door-knocks')
      .set('X-Api-Key', API_KEY)
      .send([doorKnock(KNOCKER), doorKnock(KNOCKER, { reason: 'domain_mismatch' })])
      .expect(202);
    await waitFor(() => activeBanOf(`${SCANNER}/32`));

    browser = await launchChromium();
    ({ page, violations } = await openTab(browser, baseUrl, 10_000));
    await page.goto('/admin/sip');
    await signInWithPassword(page, ADMIN.email, ADMIN.password);
    await page.getByRole('heading', { name: 'SIP door', exact: true }).waitFor();
  });
  afterAll(() => closeBrowserAndApp(browser, t));
  afterEach(() => expect(violations).toEqual([]));

  const fact = (term: string) => page.locator('dt', { hasText: term }).locator('xpath=following-sibling::dd[1]');

  it("leads from a top source to its story, and from its ban to the ban's evidence", async () => {
    const ban = await activeBanOf(`${SCANNER}/32`);
    await page.getByRole('region', { name: 'Top sources' }).getByRole('link', { name: SCANNER }).click();
    await page.getByRole('heading', { name: `Source ${SCANNER}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/admin/sip/sources/${SCANNER}`);
    expect(await fact('Failed registrations').first().innerText()).toBe('6');
    expect(await fact('State').first().innerText()).toMatch(/^Banned until /);
    expect(await page.getByRole('list', { name: 'Usernames' }).getByRole('listitem').allInnerTexts()).toEqual([
      '1000',
      '1001',
      '1002',
    ]);
    await page.getByRole('list', { name: 'User agents' }).getByText('sipvicious').waitFor();
    await page.getByRole('button', { name: `Lift ban on ${SCANNER}/32` }).waitFor();
    await expectAccessible(page, 'source');
    await screenshot(page, 'admin-sip-source');

    await page.getByRole('link', { name: `Ban #${ban!.id} on ${SCANNER}/32` }).click();
    await page.getByRole('heading', { name: `Ban #${ban!.id} on ${SCANNER}/32` }).waitFor();
    const evidence = page.getByRole('region', { name: 'Evidence' });
    expect(
      await evidence.locator('dt', { hasText: 'Rule' }).locator('xpath=following-sibling::dd[1]').innerText(),
    ).toBe('At least 5 counted events within 600 s (SIP_BAN_MAX_RETRY, SIP_BAN_FIND_TIME)');
    expect(await evidence.locator('dt', { hasText: 'failed_registration' }).count()).toBe(1);
    expect(
      await evidence.locator('dt', { hasText: 'First event' }).locator('xpath=following-sibling::dd[1]').innerText(),
    ).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    await evidence.getByRole('list', { name: 'Usernames' }).getByText('1000').waitFor();
    await evidence.getByRole('list', { name: 'User agents' }).getByText('friendly-scanner').waitFor();
    await expectAccessible(page, 'ban');
    await screenshot(page, 'admin-sip-ban');

    await page.getByRole('button', { name: `Lift ban on ${SCANNER}/32` }).click();
    await page.getByRole('button', { name: `Yes, lift ban on ${SCANNER}/32` }).click();
    await page.getByText('Ban lifted.').waitFor();
    expect(await fact('State').first().innerText()).toBe('Lifted');
    expect(await activeBanOf(`${SCANNER}/32`)).toBeUndefined();
  });

  it('bans, lifts and allowlists a source from its page', async () => {
    await page.goto(`/admin/sip/sources/${SCANNER}`);
    await page.getByRole('heading', { name: `Source ${SCANNER}` }).waitFor();
    expect(await fact('State').first().innerText()).toBe('Not banned');
    const banForm = page.getByRole('form', { name: 'Ban this address' });
    await banForm.getByLabel('Reason').fill('svwar from this address');
    await banForm.getByLabel('Duration in seconds').fill('3600');
    await banForm.getByRole('button', { name: `Ban ${SCANNER}` }).click();
    await page.getByText(`${SCANNER}/32 banned.`).waitFor();
    const manual = await activeBanOf(`${SCANNER}/32`);
    expect(manual).toMatchObject({ reason: 'svwar from this address', source: 'manual' });
    await page
      .getByRole('region', { name: `Bans of ${SCANNER}` })
      .getByRole('link', { name: `Ban #${manual!.id} on ${SCANNER}/32` })
      .click();
    await page.getByRole('heading', { name: `Ban #${manual!.id} on ${SCANNER}/32` }).waitFor();
    await page.getByText('A ban made by hand: its reason and the admin who made it say why.').waitFor();
    await page.getByRole('region', { name: 'The ban' }).getByRole('link', { name: ADMIN.email }).waitFor();
    await page.getByRole('link', { name: `${SCANNER}: its events and bans` }).click();
    await page.getByRole('heading', { name: `Source ${SCANNER}` }).waitFor();
    await page
      .getByRole('region', { name: `Bans of ${SCANNER}` })
      .getByRole('row')
      .nth(2)
      .waitFor();

    const allowForm = page.getByRole('form', { name: 'Allowlist this address' });
    await allowForm.getByLabel('Description').fill('Office NAT');
    await allowForm.getByRole('button', { name: `Allowlist ${SCANNER}` }).click();
    await page.getByText(`${SCANNER}/32 allowlisted`).waitFor();
    await allowForm.waitFor({ state: 'detached' });
    const allowlist = await t.http.get('/api/sip-security/allowlist').set(admin).expect(200);
    expect(allowlist.body).toContainEqual(
      expect.objectContaining({ cidr: `${SCANNER}/32`, description: 'Office NAT' }),
    );

    await page.getByRole('button', { name: `Lift ban on ${SCANNER}/32` }).click();
    await expectAccessible(page, 'source asking before a lift');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: `Lift ban on ${SCANNER}/32` }).click();
    await page.getByRole('button', { name: `Yes, lift ban on ${SCANNER}/32` }).click();
    await page.getByText(`Ban on ${SCANNER}/32 lifted.`).waitFor();
    expect(await fact('State').first().innerText()).toBe('Allowlisted: never banned automatically');

    await page.goto('/admin/sip/sources/198.51.100.200');
    await page.getByText('Nothing is known of 198.51.100.200: no event, no registration and no ban.').waitFor();
    await page.goto('/admin/sip/bans/999999');
    await page.getByText('There is no ban #999999.').waitFor();
    await expectAccessible(page, 'unknown ban');
    await page.goto('/admin/sip/nothing-here');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await expectAccessible(page, 'console page not found');
  });

  it('bans a top source from its row, and pages through the ban history by state', async () => {
    for (let host = 1; host <= 22; host += 1) {
      await t.http
        .post('/api/sip-security/bans')
        .set(admin)
        .send({ cidr: `203.0.113.${host}`, reason: `history ${host}` })
        .expect(201);
    }
    await page.goto('/admin/sip');
    const sources = page.getByRole('region', { name: 'Top sources' });
    await sources.getByRole('button', { name: `Ban ${KNOCKER}` }).click();
    await page
      .getByRole('group', { name: new RegExp(`^Ban ${KNOCKER.replace(/\./g, '\\.')} until lifted\\?`) })
      .waitFor();
    await page.getByRole('button', { name: `Yes, ban ${KNOCKER}` }).click();
    await page.getByText(`${KNOCKER}/32 banned until lifted.`).waitFor();
    expect(await activeBanOf(`${KNOCKER}/32`)).toMatchObject({
      reason: 'top source: 0 failed registrations and 2 door knocks in 24 h (banned from the console)',
    });
    await sources.getByRole('button', { name: `Ban ${KNOCKER}` }).waitFor({ state: 'detached' });

    const history = page.getByRole('region', { name: 'Ban history' }).first();
    const picker = page.getByLabel('Bans to show');
    await picker.selectOption('lifted');
    await history
      .getByRole('link', { name: new RegExp(`on ${SCANNER.replace(/\./g, '\\.')}/32$`) })
      .first()
      .waitFor();
    expect(await history.getByRole('row').filter({ hasText: '203.0.113.' }).count()).toBe(0);
    await picker.selectOption('expired');
    await page.getByText('No expired ban.').waitFor();
    await picker.selectOption('all');
    const pager = page.getByRole('navigation', { name: 'Ban history pages' });
    await pager.getByText('1–20 of 25').waitFor();
    await pager.getByRole('button', { name: 'Next page' }).click();
    await pager.getByText('21–25 of 25').waitFor();
    await expectAccessible(page, 'sip');
  });
});
