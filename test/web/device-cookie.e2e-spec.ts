import { Browser } from 'playwright-core';
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

describeWith(missingForBrowserTests(), 'the device cookie in Chromium (real app over HTTP, real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp({
      env: { ACCOUNT_LOCKOUT_MAX_FAILURES: '3', ACCOUNT_LOCKOUT_TIME: '600', LOGIN_RATE_LIMIT: '1000' },
    });
    baseUrl = await listenOnLocalhost(t);
    browser = await launchChromium();
  });
  afterAll(() => closeBrowserAndApp(browser, t));

  it("keeps the only admin's browser signing in while a stranger's failures lock the account", async () => {
    const context = await browser.newContext({ baseURL: baseUrl, viewport: DESKTOP });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const signIn = async () => {
      await page.goto('/admin');
      await page.waitForURL('**/login?next=%2Fadmin');
      await signInWithPassword(page, ADMIN.email, ADMIN.password);
      await page.getByRole('heading', { name: 'Pending sign-ups' }).waitFor();
    };
    try {
      await signIn();
      const [cookie] = await context
        .cookies(`${baseUrl}/api/auth/login`)
        .then((all) => all.filter((entry) => entry.name === 'regshield_device'));
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();

      for (let attempt = 0; attempt < 3; attempt += 1) {
        await t.http.post('/api/auth/login').send({ email: ADMIN.email, password: 'WrongPass123' }).expect(401);
      }
      await t.http.post('/api/auth/login').send(ADMIN).expect(401);

      await signIn();
    } finally {
      await context.close();
    }
  });
});
