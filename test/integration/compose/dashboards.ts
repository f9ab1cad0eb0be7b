import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
export const dashboardsDir = path.join(repoRoot, 'dashboards', 'grafana', 'dashboards');

export interface Dashboard {
  file: string;
  json: {
    uid: string;
    title: string;
    templating: { list: { name: string; query: string; type?: string; regex?: string }[] };
    panels: { title: string; targets?: { refId: string; query: string }[] }[];
  };
}

export function loadDashboards(): Dashboard[] {
  return fs
    .readdirSync(dashboardsDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ file, json: JSON.parse(fs.readFileSync(path.join(dashboardsDir, file), 'utf8')) }));
}

/** The dashboards that read InfluxDB (telemetry); the service-health one reads Prometheus instead. */
export const influxDashboards = (dashboards: Dashboard[]): Dashboard[] =>
  dashboards.filter(
    (d) => !d.json.templating.list.some((v) => v.type === 'datasource' && v.query === 'prometheus'),
  );

/** Every InfluxQL query of every panel target and template variable, with where it comes from. */
export function dashboardQueries(dashboards: Dashboard[]): { where: string; query: string }[] {
  return dashboards.flatMap(({ file, json }) => [
    ...json.panels.flatMap((panel) =>
      (panel.targets ?? []).map((t) => ({ where: `${file} / ${panel.title} / ${t.refId}`, query: t.query })),
    ),
    ...json.templating.list.map((v) => ({ where: `${file} / variable ${v.name}`, query: v.query })),
  ]);
}
