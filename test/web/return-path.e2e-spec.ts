import { Browser, BrowserContext, Page } from 'playwright-core';
import { returnPath } from '../../web/src/return-path';
import {
  closeBrowserAndApp,
  DESKTOP,
  launchChromium,
  listenOnLocalhost,
  missingForBrowserTests,
  signInWithPassword,
} from '../support/browser';
import { describeWith } from '../support/required-tools';
import { ADMIN, startTestApp, TestApp } from '../support/test-app';

/** Issue 10 of the hardening list: `/login?next=/%5Cevil.example/x` led off the app after signing in. */
describe("the sign-in page's `next` (returnPath)", () => {
  const after = (next: string) => returnPath(`?next=${next}`, '/admin');

  it("follows the app's own paths, as loginPathReturningHere writes them", () => {
    expect(after('%2Fadmin%2Fusers')).toBe('/admin/users');
    expect(after(encodeURIComponent('/admin/users?q=a%26b&skip=100'))).toBe('/admin/users?q=a%26b&skip=100');
    expect(after('/account')).toBe('/account');
  });

  it.each([
    ['no next', ''],
    ['another host', '//evil.example/x'],
    ['a backslash, which browsers read as a slash', '/%5Cevil.example/x'],
    ['a backslash encoded twice', '/%255Cevil.example/x'],
    ['two slashes encoded', '%2F%2Fevil.example/x'],
    ['a slash encoded twice after the first', '/%252Fevil.example/x'],
    ['a tab, which browsers drop', '/%09/evil.example/x'],
    ['a line break, which browsers drop', '/%0A/evil.example/x'],
    ['an absolute URL', 'https://evil.example/x'],
    ['a script URL', 'javascript:alert(1)'],
    ['a relative path', 'admin/users'],
  ])('goes to the default page for %s', (_case, next) => {
    expect(after(next)).toBe('/admin');
  });

  it('goes to the default page without a next parameter at all', () => {
    expect(returnPath('', '/admin')).toBe('/admin');
  });
});

describeWith(missingForBrowserTests(), 'signing in with a hostile `next` in Chromium (real app, PostgreSQL)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    t = await startTestApp();
    baseUrl = await listenOnLocalhost(t);
    browser = await launchChromium();
  });
  afterAll(() => closeBrowserAndApp(browser, t));
  beforeEach(async () => {
    context = await browser.newContext({ baseURL: baseUrl, viewport: DESKTOP });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
  });
  afterEach(() => context.close());

  it.each(['/%5Cevil.example/x', '%2F%2Fevil.example%2Fx'])(
    'lands on the admin page after signing in from /login?next=%s',
    async (next) => {
      await page.goto(`/login?next=${next}`);
      await signInWithPassword(page, ADMIN.email, ADMIN.password);
      await page.getByRole('heading', { name: 'Pending sign-ups' }).waitFor();
      expect(new URL(page.url())).toMatchObject({ origin: baseUrl, pathname: '/admin/pending' });
    },
  );
});
