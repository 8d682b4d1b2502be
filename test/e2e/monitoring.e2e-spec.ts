import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeWith, missingCommand } from '../support/required-tools';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * deploy/prometheus and deploy/grafana checked with Prometheus's own promtool, and against the metrics a
 * running service really exposes: a renamed metric breaks the build, not a dashboard nobody looks at.
 */
const ROOT = resolve(__dirname, '../..');
const RULES = join(ROOT, 'deploy/prometheus/regshield.rules.yml');
const RULE_TESTS = join(ROOT, 'deploy/prometheus/regshield.rules.test.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/regshield.dashboard.json');
/** Our metrics and prom-client's process defaults; `up` and the like are Prometheus's own. */
const METRIC_NAME = /\b(?:regshield|process|nodejs)_[a-z0-9_]+\b/g;

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
}

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: join(ROOT, 'deploy/prometheus'), encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map(({ expr }) => ({ panel: panel.title, expr })));
}

/** Every series name a Prometheus text exposition can hold, from its `# TYPE` lines. */
function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((suffix) => names.add(name + suffix));
    if (type === 'summary') ['_sum', '_count'].forEach((suffix) => names.add(name + suffix));
  }
  return names;
}

describeWith(
  [missingCommand('promtool', ['--version'], 'apt-get install prometheus (it ships promtool)')],
  'Prometheus rules and the Grafana dashboard',
  () => {
    it('the alerting rules pass promtool check rules', () => {
      const { status, output } = promtool('check', 'rules', RULES);
      expect(output).toContain('SUCCESS');
      expect(status).toBe(0);
    });

    it('the alerting rules pass their promtool unit tests, and every alert has one', () => {
      const { status, output } = promtool('test', 'rules', RULE_TESTS);
      expect(output).toContain('SUCCESS');
      expect(status).toBe(0);
      const alerts = [...readFileSync(RULES, 'utf8').matchAll(/^\s*- alert: (\w+)$/gm)].map((match) => match[1]);
      const tested = new Set(
        [...readFileSync(RULE_TESTS, 'utf8').matchAll(/^\s*alertname: (\w+)$/gm)].map((match) => match[1]),
      );
      expect(alerts).toEqual(
        expect.arrayContaining([
          'RegshieldDatabaseDown',
          'RegshieldBanEngineLagging',
          'RegshieldProxyOutOfStep',
          'RegshieldOutboxFailing',
          'RegshieldBanSurge',
          'RegshieldLoginFailureSurge',
        ]),
      );
      expect(alerts.filter((alert) => !tested.has(alert))).toEqual([]);
    });

    it('every dashboard query is valid PromQL (promtool parses each as a recording rule)', () => {
      const queries = dashboardQueries();
      expect(queries.length).toBeGreaterThan(10);
      // A rules file may be JSON (YAML's subset); each query becomes a rule named after its position.
      const asRules = {
        groups: [
          {
            name: 'dashboard',
            rules: queries.map(({ expr }, index) => ({ record: `dashboard:query_${index}`, expr })),
          },
        ],
      };
      const file = join(mkdtempSync(join(tmpdir(), 'regshield-dashboard-')), 'queries.rules.json');
      writeFileSync(file, JSON.stringify(asRules));
      const { status, output } = promtool('check', 'rules', file);
      expect(output).toContain(`SUCCESS: ${queries.length} rules found`);
      expect(status).toBe(0);
    });

    describe('against a live /metrics', () => {
      let t: TestApp;
      let exposed: Set<string>;

      beforeAll(async () => {
        t = await startTestApp();
        exposed = exposedNames((await t.http.get('/metrics').expect(200)).text);
      });
      afterAll(() => t?.close());

      it('every dashboard query reads metrics the service exposes', () => {
        for (const { panel, expr } of dashboardQueries()) {
          const names = expr.match(METRIC_NAME) ?? [];
          expect({ panel, expr, names: names.length > 0 }).toEqual({ panel, expr, names: true });
          expect({ panel, missing: names.filter((name) => !exposed.has(name)) }).toEqual({ panel, missing: [] });
        }
      });

      it('every alerting rule reads metrics the service exposes', () => {
        const names = readFileSync(RULES, 'utf8').match(METRIC_NAME) ?? [];
        expect(names.length).toBeGreaterThan(5);
        expect(names.filter((name) => !exposed.has(name))).toEqual([]);
      });
    });
  },
);
