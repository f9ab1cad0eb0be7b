import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually } from '../../helpers/eventually.ts';
import { connectRefusal } from '../../helpers/mqtt.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { requireBinary } from '../../helpers/serverProcess.ts';
import { startService } from '../../helpers/service.ts';
import { isExported, metricFamilies, metricNamesIn } from './exportedMetrics.ts';

/**
 * deploy/prometheus/sealwatch-rules.yml: valid for Prometheus (`promtool check rules`), each alert
 * firing and staying quiet as its unit tests say (`promtool test rules`), and naming only metrics and
 * label values the service really exports, so the rules cannot drift from the code.
 */

const ROOT = resolve(import.meta.dirname, '../../..');

/** The service with scheduled backups on (their metrics exist only then), into its DATA_DIR, which cleanup removes. */
function withBackups() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwatch-test-'));
  return startService({ dataDir, env: { BACKUP_DIR: join(dataDir, 'backups') } });
}
const RULES = resolve(ROOT, 'deploy/prometheus/sealwatch-rules.yml');
const RULE_TESTS = resolve(ROOT, 'deploy/prometheus/sealwatch-rules.test.yml');
const PROMETHEUS_CONFIG = resolve(ROOT, 'deploy/prometheus/prometheus.yml');

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: AlertRule[] }[] }).groups.flatMap(
  (g) => g.rules,
);

function promtool(...args: string[]) {
  const result = spawnSync(requireBinary('promtool', 'prometheus'), args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('Prometheus rules', () => {
  it('pass `promtool check rules`', () => {
    const { status, output } = promtool('check', 'rules', RULES);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(status).toBe(0);
  });

  it('pass their unit tests (`promtool test rules`): each alert fires on trouble and not on look-alikes', () => {
    const { status, output } = promtool('test', 'rules', RULE_TESTS);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  it('the example prometheus.yml loads the rules and passes `promtool check config`', () => {
    const { status, output } = promtool('check', 'config', PROMETHEUS_CONFIG);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(status, output).toBe(0);
  });

  it('every alert is tested both firing and quiet', () => {
    const tests = (
      parse(readFileSync(RULE_TESTS, 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of rules) {
      const cases = tests.filter((t) => t.alertname === alert);
      expect(
        cases.some((t) => (t.exp_alerts ?? []).length > 0),
        `${alert} never fires in a test`,
      ).toBe(true);
      expect(
        cases.some((t) => (t.exp_alerts ?? []).length === 0),
        `${alert} is never tested quiet`,
      ).toBe(true);
    }
  });

  it('every alert has a severity, a summary, a description and a runbook line pointing at its section of the guide', () => {
    const guide = readFileSync(resolve(ROOT, 'deploy/README.md'), 'utf8');
    expect(rules.length).toBe(9);
    for (const rule of rules) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      for (const key of ['summary', 'description', 'runbook'])
        expect(rule.annotations?.[key]?.trim(), `${rule.alert}: ${key}`).toBeTruthy();
      expect(rule.annotations?.runbook).toContain(`deploy/README.md, section ${rule.alert}`);
      expect(guide, `deploy/README.md has no section ${rule.alert}`).toMatch(
        new RegExp(`^#+ ${rule.alert}$`, 'm'),
      );
    }
  });
});

describe('Prometheus rules against a running service', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  /** From the default service (SQLite), and from one on PostgreSQL, where the instance metrics live. */
  let scrape: string;
  let sharedScrape: string;
  let pg: PostgresServer;
  beforeAll(async () => {
    svc = await withBackups();
    // A refused login, so the refusal reasons the rules match on show up in the scrape.
    expect(
      await connectRefusal(svc.mqttUrl, { clientId: 'nobody', username: 'nobody', password: 'wrong' }),
    ).toMatch(/code [45]/);
    scrape = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    pg = await startPostgres();
    const shared = await startService({ env: { DATABASE_URL: pg.url } });
    try {
      // A lone instance takes alerting over within moments of its start.
      await eventually(
        async () => {
          sharedScrape = await (await fetch(`${shared.httpUrl}/metrics`)).text();
          return /^sealwatch_alerting_owner 1$/m.test(sharedScrape);
        },
        20_000,
        'the instance on PostgreSQL owns alerting',
      );
    } finally {
      await shared.cleanup();
    }
  });
  afterAll(async () => {
    await svc?.cleanup();
    await pg?.close();
  });

  it("name only metrics the service exports (and Prometheus' own `up`)", () => {
    const families = metricFamilies(scrape);
    expect(families.has('sealwatch_ready')).toBe(true);
    for (const rule of rules) {
      const referenced = metricNamesIn(rule.expr);
      expect(referenced.length, rule.alert).toBeGreaterThan(0);
      for (const name of referenced) {
        if (name === 'up') continue;
        expect(isExported(families, name), `${rule.alert}: ${name} is not in /metrics`).toBe(true);
      }
    }
  });

  it('match label values the service uses', () => {
    expect(scrape).toMatch(/^sealwatch_telemetry\{counter="spooledBytes"\} \d/m);
    expect(scrape).toMatch(/^sealwatch_telemetry\{counter="dropped"\} \d/m);
    expect(scrape).toMatch(/^sealwatch_mqtt_refused\{reason="auth_[a-z_]+"\} 1$/m);
    expect(sharedScrape).toMatch(/^sealwatch_instances\{counter="listening"\} 1$/m);
    expect(sharedScrape).toMatch(/^sealwatch_alerting_owner 1$/m);
    const selectors = rules.flatMap((r) => [...r.expr.matchAll(/\b(\w+)\{([^}]*)\}/g)]);
    const checked = new Set(['spooledBytes', 'dropped', 'auth_.+', 'sealwatch', 'listening']);
    for (const [, , matchers] of selectors)
      for (const [, , value] of matchers!.matchAll(/(\w+)=~?"([^"]*)"/g))
        expect(checked, `a label value the test does not check: ${value}`).toContain(value);
  });
});
