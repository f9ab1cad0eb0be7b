import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { requireBinary } from '../../helpers/serverProcess.ts';
import { startService } from '../../helpers/service.ts';
import { isExported, metricFamilies, metricNamesIn } from './exportedMetrics.ts';

/**
 * dashboards/grafana/dashboards/service-health.json: the service's own health next to the seals, read
 * from Prometheus. Every query is valid PromQL (promtool parses it) and names only metrics the
 * service exports, and the panels an administrator needs are there.
 */

const ROOT = resolve(import.meta.dirname, '../../..');

/** The service with scheduled backups on (their metrics exist only then), into its DATA_DIR, which cleanup removes. */
function withBackups() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealwatch-test-'));
  return startService({ dataDir, env: { BACKUP_DIR: join(dataDir, 'backups') } });
}
const DASHBOARD = resolve(ROOT, 'dashboards/grafana/dashboards/service-health.json');

interface Panel {
  title: string;
  type: string;
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string }[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string }[] };
};
const queries = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ where: `${p.title} / ${t.refId}`, expr: t.expr })),
);

/** Grafana's variables replaced by what Grafana would put there, so Prometheus' own parser can read the query. */
const asPromql = (expr: string) =>
  expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'sealwatch').replaceAll('$instance', '.+');

describe('service-health dashboard', () => {
  it('reads every panel from the chosen Prometheus datasource', () => {
    const datasource = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(datasource).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(15);
    for (const p of graphs) {
      // Grafana's own placeholder for the datasource variable, not a JavaScript template.
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: ['$', '{datasource}'].join('') });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
  });

  it('has the seals and each part of the service an administrator watches', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const metric of [
      'sealwatch_seals',
      'sealwatch_alerts',
      'sealwatch_messages_total',
      'sealwatch_messages_rejected_total',
      'sealwatch_mqtt_refused',
      'sealwatch_mqtt_connections',
      'sealwatch_telemetry{job="$job", instance=~"$instance", counter="spooledBytes"}',
      'sealwatch_outbox{',
      'sealwatch_outbox_oldest_waiting_seconds',
      'sealwatch_alerting_owner',
      'sealwatch_ready',
      'sealwatch_backup_last_success_timestamp_seconds',
      'sealwatch_process_nodejs_eventloop_lag_p99_seconds',
      'sealwatch_process_process_resident_memory_bytes',
    ])
      expect(all, metric).toContain(metric);
  });

  it('asks only valid PromQL (parsed by promtool)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwatch-dashboard-'));
    try {
      // promtool parses expressions when it checks a rules file: one recording rule per query.
      const file = join(dir, 'queries.yml');
      writeFileSync(
        file,
        stringify({
          groups: [
            {
              name: 'dashboard',
              rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: asPromql(q.expr) })),
            },
          ],
        }),
      );
      const result = spawnSync(requireBinary('promtool', 'prometheus'), ['check', 'rules', file], {
        encoding: 'utf8',
      });
      expect(result.stdout, result.stderr).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('against a running service', () => {
    let svc: Awaited<ReturnType<typeof startService>>;
    let families: Set<string>;
    beforeAll(async () => {
      svc = await withBackups();
      families = metricFamilies(await (await fetch(`${svc.httpUrl}/metrics`)).text());
    });
    afterAll(async () => svc?.cleanup());

    it('names only metrics the service exports', () => {
      for (const { where, expr } of queries)
        for (const name of metricNamesIn(expr)) {
          if (name === 'up') continue;
          expect(isExported(families, name), `${where}: ${name} is not in /metrics`).toBe(true);
        }
    });
  });
});
