import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { Browser, BrowserContext, Page } from 'playwright-core';
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
import { expectAccessible } from '../support/accessibility';
import { FeedServer, startFeedServer } from '../support/feed-server';
import { describeWith } from '../support/required-tools';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';

/** A loopback port nothing listens on: a server is opened there and closed again. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The SIP door's feeds and bouncer keys pages in Chromium, against the real app over HTTP, a real database
 * and a real HTTP server playing the feed.
 */
describeWith(missingForBrowserTests(), 'the console pages of feeds and bouncer keys in Chromium', () => {
  jest.setTimeout(90_000);
  let t: TestApp;
  let feedServer: FeedServer;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    feedServer = await startFeedServer();
    t = await startTestApp();
    baseUrl = await listenOnLocalhost(t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await closeBrowserAndApp(browser, t);
    await feedServer?.close();
  });
  beforeEach(async () => {
    ({ context, page, violations } = await openTab(browser, baseUrl));
  });
  afterEach(() => closeTab(context, violations));

  const signIn = () => signInWithPassword(page, ADMIN.email, ADMIN.password);
  const feedRow = (name: string) =>
    page.getByRole('region', { name: 'Feeds', exact: true }).getByRole('row').filter({ hasText: name });
  const cellOf = (name: string, column: string) => feedRow(name).locator(`td[data-label="${column}"]`);
  const addFeed = async (name: string, url: string, interval = '60') => {
    await page.getByLabel('Feed name').fill(name);
    await page.getByLabel('URL', { exact: true }).fill(url);
    await page.getByLabel('Pull every (seconds)').fill(interval);
    await page.getByRole('button', { name: 'Add feed' }).click();
  };

  it('adds a plain feed and shows its pull and entries, shows why one cannot be reached, deletes one after asking', async () => {
    feedServer.answer('/list.txt', {
      body: '# a test list\n203.0.113.5\n203.0.113.6 ; scanner\n198.51.100.0/24\n127.0.0.9\nnot-an-address\n',
    });
    await page.goto('/admin/sip/feeds');
    await signIn();
    await page.getByRole('heading', { name: 'Feeds', level: 1 }).waitFor();
    await page.getByText('No feed is followed.').waitFor();

    // Refused: the API's words beside the field, nothing added.
    await addFeed('local-list', `${feedServer.base}/list.txt`, '30');
    await page
      .getByRole('textbox', { name: 'Pull every (seconds)' })
      .and(page.locator('[aria-invalid="true"]'))
      .waitFor();
    await page.getByText('interval_seconds must not be less than 60').waitFor();

    await addFeed('local-list', `${feedServer.base}/list.txt`);
    await page.getByText('Feed local-list added').waitFor();
    // Pulled within a second of its creation; the page reads the list every second until then. Waited for by its
    // time: "Last error: None" shows from the claim of the pull (last_attempt_at), before the pull has ended.
    await cellOf('local-list', 'Last pull')
      .filter({ hasText: /\d{1,2}:\d{2}/ })
      .waitFor();
    expect(await cellOf('local-list', 'Last error').innerText()).toBe('None');
    expect(await cellOf('local-list', 'Entries').innerText()).toBe('4');
    expect(await cellOf('local-list', 'Banned').innerText()).toBe('3');
    expect(await cellOf('local-list', 'Skipped').innerText()).toBe('1 allowlisted, 0 too wide, 1 invalid');
    // The entry SIP_ALLOWLIST (127.0.0.0/8 by default) kept out, and why.
    await page.getByRole('button', { name: 'Entries of local-list not banned' }).click();
    await page
      .getByRole('region', { name: 'Entries of local-list not banned' })
      .getByText(/127\.0\.0\.9(\/32)?: overlaps the allowlist/)
      .waitFor();

    // A name taken: said beside the name.
    await addFeed('local-list', `${feedServer.base}/list.txt`);
    await page.getByText('A feed with this name exists.').waitFor();
    // APIBan without its key: said beside the key's field.
    await page.getByLabel('Format').selectOption('apiban');
    await addFeed('apiban', 'https://apiban.example/api');
    await page.getByText('api_key is required for a apiban feed').waitFor();
    expect(await page.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Format').selectOption('plain');

    await addFeed('nowhere', `http://127.0.0.1:${await closedPort()}/list.txt`);
    await page.getByText('Feed nowhere added').waitFor();
    await cellOf('nowhere', 'Last error')
      .filter({ hasText: /^unreachable: ECONNREFUSED$/ })
      .waitFor();
    expect(await cellOf('nowhere', 'Last pull').innerText()).toBe('Never');
    expect(await cellOf('nowhere', 'Entries').innerText()).toBe('0');
    await screenshot(page, 'admin-sip-feeds');
    await expectAccessible(page, 'feeds');

    await page.getByRole('button', { name: 'Delete feed local-list' }).click();
    await page.getByRole('group', { name: /^Stop following local-list\? Its 3 bans are lifted/ }).waitFor();
    await page.getByRole('button', { name: 'Yes, delete feed local-list' }).click();
    await page.getByText('Feed local-list deleted; its bans are lifted.').waitFor();
    await feedRow('local-list').waitFor({ state: 'detached' });
    await feedRow('nowhere').waitFor();
    const admin = await t.login(ADMIN.email, ADMIN.password);
    const bans = await t.http.get('/api/sip-security/bans').set('Authorization', `Bearer ${admin}`).expect(200);
    expect((bans.body as Array<{ feed: string | null }>).filter((ban) => ban.feed === 'local-list')).toEqual([]);
  });

  it('creates a bouncer key shown once, shows its last pull, revokes it after asking', async () => {
    await page.goto('/admin/sip/bouncers');
    await signIn();
    await page.getByRole('heading', { name: 'Bouncer keys', level: 1 }).waitFor();
    await page.getByText('No bouncer key is in force.').waitFor();

    await page.getByLabel('Bouncer name').fill('edge fw1');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('region', { name: 'The key of edge fw1' });
    await shown.getByText('it is shown this once').waitFor();
    const key = await shown.locator('code.secret').innerText();
    expect(key.length).toBeGreaterThanOrEqual(32);
    const row = page
      .getByRole('region', { name: 'Bouncer keys', exact: true })
      .getByRole('row')
      .filter({ hasText: 'edge fw1' });
    const prefix = (await row.locator('td[data-label="Key begins with"]').innerText()).replace('…', '');
    expect(key.startsWith(prefix)).toBe(true);
    expect(await row.locator('td[data-label="Last pull"]').innerText()).toBe('Never');
    await screenshot(page, 'admin-sip-bouncers');
    await expectAccessible(page, 'bouncer keys, a new key shown');

    const pull = await fetch(`${baseUrl}/v1/decisions/stream?startup=true`, { headers: { 'X-Api-Key': key } });
    expect(pull.status).toBe(200);
    // Shown once: the page read again has the pull, and no key.
    await page.reload();
    await row
      .locator('td[data-label="Last pull"]')
      .filter({ hasText: /\d{1,2}:\d{2}/ })
      .waitFor();
    expect(await page.getByText(key).count()).toBe(0);

    await page.getByRole('button', { name: 'Revoke the key of edge fw1' }).click();
    await page.getByRole('group', { name: /^Revoke the key of edge fw1\?/ }).waitFor();
    await page.getByRole('button', { name: 'Yes, revoke the key of edge fw1' }).click();
    await page.getByText('The key of edge fw1 is revoked').waitFor();
    await page.getByText('No bouncer key is in force.').waitFor();
    const refused = await fetch(`${baseUrl}/v1/decisions/stream?startup=true`, { headers: { 'X-Api-Key': key } });
    expect(refused.status).toBe(401);

    // The SIP door's own navigation leads between its pages.
    const pages = page.getByRole('navigation', { name: 'SIP door pages' });
    expect(await pages.getByRole('link', { name: 'Bouncer keys' }).getAttribute('aria-current')).toBe('page');
    await pages.getByRole('link', { name: 'Feeds' }).click();
    await page.waitForURL('**/admin/sip/feeds');
    await page.getByRole('heading', { name: 'Feeds', level: 1 }).waitFor();
  });
});
