import { Browser, Page } from 'playwright-core';
import {
  closeBrowserAndApp,
  DESKTOP,
  launchChromium,
  listenOnLocalhost,
  missingForBrowserTests,
  watchCspViolations,
} from '../support/browser';
import { describeWith } from '../support/required-tools';
import { newUser, startTestApp, TestApp } from '../support/test-app';

describeWith(missingForBrowserTests(), 'sign-up with CAPTCHA=altcha in Chromium (real app, real PostgreSQL)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const violations: string[] = [];

  beforeAll(async () => {
    // A small proof of work: the test checks the widget and the payload, not the cost.
    t = await startTestApp({ env: { CAPTCHA: 'altcha', CAPTCHA_COST: '10', CAPTCHA_MAX_COUNTER: '50' } });
    const baseUrl = await listenOnLocalhost(t);
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: baseUrl, viewport: DESKTOP });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    watchCspViolations(page, violations);
  });
  afterAll(() => closeBrowserAndApp(browser, t));

  it('solves the challenge in the browser’s Web Workers and signs up with it; a refused attempt gets a new one', async () => {
    const user = newUser();
    await page.goto('/register');
    await page.getByRole('status').getByText('Verified: you are not a robot.').waitFor();
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Full name').fill(user.full_name);
    await page.getByLabel('Password', { exact: true }).fill('password');
    await page.getByRole('button', { name: 'Create account' }).click();
    // Refused for the password: the payload was spent, so the page solves a new challenge before the next try.
    await page.getByRole('textbox', { name: 'Password' }).and(page.locator('[aria-invalid="true"]')).waitFor();
    await page.getByRole('status').getByText('Verified: you are not a robot.').waitFor();
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('An administrator will review your sign-up').waitFor();
    expect(t.securityEvents().filter((event) => event.event === 'captcha_rejected')).toEqual([]);
    expect(violations).toEqual([]);
  });

  it('solves one on the forgotten-password page too, and the request is accepted', async () => {
    await page.goto('/forgot-password');
    await page.getByRole('status').getByText('Verified: you are not a robot.').waitFor();
    await page.getByLabel('Email', { exact: true }).fill('someone@example.com');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(t.securityEvents().filter((event) => event.event === 'captcha_rejected')).toEqual([]);
    expect(violations).toEqual([]);
  });
});
