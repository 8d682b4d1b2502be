import { Browser, Locator, Page } from 'playwright-core';
import {
  closeBrowserAndApp,
  launchChromium,
  listenOnLocalhost,
  missingForBrowserTests,
  openTab,
} from '../support/browser';
import { describeWith } from '../support/required-tools';
import { failedRegistration } from '../support/sip-events';
import { ADMIN, newUser, startTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

/** The page's document, as the focus checks read it in the page (the tests are compiled without the DOM's types). */
declare const document: { activeElement: unknown };

const API_KEY = 'proxy-key-0123456789abcdef';
const SCANNER = '192.0.2.90';
/** More presses than any page here has stops: a control never reached fails the test instead of looping. */
const MAX_TAB_PRESSES = 150;

/**
 * Keyboard only (CONTRACT Part 3, issue 17 item 7): after the first page load nothing here clicks; the tests
 * move with Tab and Shift+Tab and act with Enter, Space and Escape, as someone without a mouse does.
 */
describeWith(missingForBrowserTests(), 'the console by keyboard alone (Chromium, real app)', () => {
  jest.setTimeout(90_000);
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let violations: string[];
  let admin: { Authorization: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { SIP_INGEST_API_KEY: API_KEY, REGISTER_RATE_LIMIT: '100' } });
    const baseUrl = await listenOnLocalhost(t);
    admin = { Authorization: `Bearer ${await t.login(ADMIN.email, ADMIN.password)}` };
    browser = await launchChromium();
    ({ page, violations } = await openTab(browser, baseUrl, 10_000));
  });
  afterAll(() => closeBrowserAndApp(browser, t));
  afterEach(() => expect(violations).toEqual([]));

  const isFocused = (target: Locator) => target.evaluate((element) => element === document.activeElement);

  /** Presses Tab (or Shift+Tab) until the target has the focus. */
  const tabTo = async (target: Locator, backwards = false) => {
    for (let press = 0; press < MAX_TAB_PRESSES; press += 1) {
      if ((await target.count()) === 1 && (await isFocused(target))) return;
      await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    }
    throw new Error(`${target.toString()} never got the focus by ${backwards ? 'Shift+Tab' : 'Tab'}`);
  };

  const expectFocused = async (target: Locator) => expect(await isFocused(target)).toBe(true);

  const statusOf = async (id: string) =>
    (await t.http.get(`/api/admin/users/${id}`).set(admin).expect(200)).body.status as string;

  it('signs in, skips the navigation, and approves sign-ups one by one and by selection', async () => {
    const register = async () => {
      const user = newUser();
      const created = await t.http.post('/api/auth/register').send(user).expect(201);
      return { ...user, id: created.body.id as string };
    };
    const [first, second, third] = [await register(), await register(), await register()];

    await page.goto('/admin/pending');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await tabTo(page.getByRole('textbox', { name: 'Email' }));
    await page.keyboard.type(ADMIN.email);
    await tabTo(page.getByLabel('Password', { exact: true }));
    await page.keyboard.type(ADMIN.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Pending sign-ups' }).waitFor();

    // The first stop of a console page is "Skip to content", which leads past the navigation.
    await page.keyboard.press('Tab');
    await expectFocused(page.getByRole('link', { name: 'Skip to content' }));
    await page.keyboard.press('Enter');
    await expectFocused(page.locator('main'));

    await tabTo(page.getByRole('button', { name: `Approve ${first.email}` }));
    await page.keyboard.press('Enter');
    await page.getByText(`${first.email} approved.`).waitFor();
    expect(await statusOf(first.id)).toBe('active');

    // Back from a row's buttons to its checkbox, ticked with Space; then forward to the bulk action.
    await tabTo(page.getByRole('button', { name: `Refuse ${third.email}` }));
    await tabTo(page.getByRole('checkbox', { name: `Select ${third.email}` }), true);
    await page.keyboard.press('Space');
    await tabTo(page.getByRole('checkbox', { name: `Select ${second.email}` }), true);
    await page.keyboard.press('Space');
    await page.getByText('2 selected').waitFor();
    await tabTo(page.getByRole('button', { name: 'Approve selected' }), true);
    await page.keyboard.press('Enter');
    await page.getByText('2 sign-ups approved.').waitFor();
    expect([await statusOf(second.id), await statusOf(third.id)]).toEqual(['active', 'active']);
  });

  it('lifts a ban on the SIP page after its question, Escape cancelling, and opens a source page', async () => {
    await t.http
      .post('/api/sip-security/failed-registrations')
      .set('X-Api-Key', API_KEY)
      .send([1, 2, 3, 4, 5, 6].map(() => failedRegistration(SCANNER)))
      .expect(202);
    await waitFor(async () => {
      const bans = await t.http.get('/api/sip-security/bans').set(admin).expect(200);
      return (bans.body as Array<{ cidr: string }>).some((ban) => ban.cidr === `${SCANNER}/32`) ? true : undefined;
    });

    await tabTo(page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'SIP door' }), true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'SIP door', exact: true }).waitFor();

    const lift = page.getByRole('button', { name: `Lift ban on ${SCANNER}/32` });
    const yes = page.getByRole('button', { name: `Yes, lift ban on ${SCANNER}/32` });
    await lift.waitFor();
    await tabTo(lift);
    await page.keyboard.press('Enter');
    await expectFocused(yes);
    await page.keyboard.press('Escape');
    await expectFocused(lift);
    await page.keyboard.press('Space');
    await expectFocused(yes);
    await page.keyboard.press('Enter');
    await page.getByText(`Ban on ${SCANNER}/32 lifted.`).waitFor();
    const active = await t.http.get('/api/sip-security/bans').set(admin).expect(200);
    expect((active.body as Array<{ cidr: string }>).map((ban) => ban.cidr)).not.toContain(`${SCANNER}/32`);

    await tabTo(page.getByRole('region', { name: 'Top sources' }).getByRole('link', { name: SCANNER }), true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Source ${SCANNER}` }).waitFor();
    await tabTo(page.getByRole('form', { name: 'Ban this address' }).getByLabel('Reason'));
    await page.keyboard.type('by keyboard');
    await page.keyboard.press('Enter');
    await page.getByText(`${SCANNER}/32 banned.`).waitFor();
    await tabTo(page.getByRole('link', { name: /^Ban #\d+ on 192\.0\.2\.90\/32$/ }).first());
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Ban #\d+ on 192\.0\.2\.90\/32$/ }).waitFor();
  });
});
