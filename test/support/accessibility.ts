import { readFileSync } from 'node:fs';
import type { AxeResults, ImpactValue } from 'axe-core';
import { Page } from 'playwright-core';

/** The page's globals the check runs against, in the page: this file is compiled without the DOM's types. */
declare const window: { axe: { run: (context: unknown) => Promise<AxeResults> } };
declare const document: unknown;

/** axe-core's own bundle, read once: injected into each page checked. */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The impacts that fail a page (CONTRACT Part 3: no serious or critical violation). */
const FAILING: ReadonlySet<ImpactValue> = new Set<ImpactValue>(['serious', 'critical']);

/**
 * The serious and critical axe-core violations of the page as it is now, one line each (rule, impact, what it
 * means, the elements): an empty list is a pass. The page's CSP allows no inline script, so the bundle is
 * added through the DevTools protocol (`page.evaluate`, which a page's policy does not govern), not with a
 * `<script>` tag the policy would block and report.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async () => {
    const { violations } = await window.axe.run(document);
    return violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      targets: nodes.map((node) => node.target.join(' ')),
    }));
  });
  return results
    .filter((violation) => violation.impact && FAILING.has(violation.impact))
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.targets.join(', ')}`);
}

/** Fails the test, naming the page, when axe-core finds a serious or critical violation on it. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  expect({ page: name, violations: await seriousAccessibilityViolations(page) }).toEqual({
    page: name,
    violations: [],
  });
}
