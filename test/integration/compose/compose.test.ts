import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TELEMETRY_SCHEMA } from '../../../ingest/telemetry/telemetrySchema.ts';
import { requireBinary } from '../../helpers/serverProcess.ts';
import { dashboardQueries, dashboardsDir, influxDashboards, loadDashboards, repoRoot } from './dashboards.ts';

/**
 * docker-compose.yml, the Dockerfile and the Grafana provisioning are files
 * nothing else runs in CI (no Docker here): this test keeps their references
 * honest — every local path exists, every dashboard query names what the
 * telemetry writer really emits.
 */

type Service = {
  build?: { context: string; dockerfile: string };
  profiles?: string[];
  command?: string[];
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  configs?: { source: string; target: string }[];
};
const compose = parse(fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
  volumes: Record<string, unknown>;
};
const measurements = TELEMETRY_SCHEMA as Record<
  string,
  { tags: readonly string[]; fields: Record<string, string> }
>;

describe('docker-compose.yml', () => {
  const inProfile = (profile: string | undefined) =>
    Object.entries(compose.services)
      .filter(([, s]) => (profile === undefined ? !s.profiles : s.profiles?.includes(profile)))
      .map(([name]) => name)
      .sort();

  it('has the service, InfluxDB 2, Grafana, Prometheus and the mail catcher', () => {
    expect(inProfile(undefined)).toEqual(['grafana', 'influxdb', 'mailpit', 'prometheus', 'sealwatch']);
    expect(compose.services.influxdb?.image).toMatch(/^influxdb:2/);
  });

  it('builds the service from the repository Dockerfile, with its ports, data volume and Influx settings', () => {
    const service = compose.services.sealwatch!;
    expect(fs.existsSync(path.join(repoRoot, service.build!.context, service.build!.dockerfile))).toBe(true);
    expect(service.ports).toEqual(expect.arrayContaining(['1883:1883', '8080:8080']));
    expect(service.volumes?.some((v) => v.endsWith(':/app/data'))).toBe(true);
    expect(service.environment).toMatchObject({
      INFLUX_URL: 'http://influxdb:8086',
      INFLUX_API: 'v2',
      INFLUX_ORG: 'sealwatch',
      INFLUX_BUCKET: 'sealwatch',
      SMTP_URL: 'smtp://mailpit:1025',
    });
    expect(service.environment?.INFLUX_TOKEN).toBe(
      compose.services.influxdb?.environment?.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN,
    );
  });

  it('creates the DBRP mapping that Grafana queries through', () => {
    const influx = compose.services.influxdb!;
    const config = compose.configs[influx.configs![0]!.source]!;
    expect(influx.configs![0]!.target).toMatch(/^\/docker-entrypoint-initdb\.d\/.+\.sh$/);
    expect(config.content).toContain('influx v1 dbrp create');
    expect(config.content).toContain('--rp autogen');
    const datasource = parse(
      fs.readFileSync(path.join(dashboardsDir, '..', 'provisioning', 'datasources', 'influxdb.yaml'), 'utf8'),
    ) as { datasources: { jsonData: { dbName: string; version: string } }[] };
    expect(datasource.datasources[0]!.jsonData.version).toBe('InfluxQL');
    // The database Grafana names is the bucket the mapping maps (through Grafana's env).
    expect(datasource.datasources[0]!.jsonData.dbName).toBe(['$', '{INFLUX_DB}'].join(''));
    expect(compose.services.grafana?.environment?.INFLUX_DB).toBe(
      influx.environment?.DOCKER_INFLUXDB_INIT_BUCKET,
    );
  });

  it('runs Prometheus on the rules of deploy/prometheus, scraping the service as job "sealwatch" (promtool checks the config)', () => {
    const prometheus = compose.services.prometheus!;
    const config = compose.configs[prometheus.configs![0]!.source]!;
    expect(prometheus.configs![0]!.target).toBe('/etc/prometheus/prometheus.yml');
    const parsed = parse(config.content) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(parsed.scrape_configs[0]).toMatchObject({
      job_name: 'sealwatch',
      static_configs: [{ targets: ['sealwatch:8080'] }],
    });
    const rulesMount = prometheus
      .volumes!.map((v) => v.split(':'))
      .find(([, target]) => target!.endsWith('.yml'))!;
    expect(rulesMount[0]).toBe('./deploy/prometheus/sealwatch-rules.yml');
    expect(path.posix.join('/etc/prometheus', parsed.rule_files[0]!)).toBe(rulesMount[1]);
    // The config as Prometheus reads it, with the rules beside it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealwatch-compose-prometheus-'));
    try {
      fs.writeFileSync(path.join(dir, 'prometheus.yml'), config.content);
      fs.copyFileSync(path.join(repoRoot, rulesMount[0]!), path.join(dir, parsed.rule_files[0]!));
      const result = spawnSync(
        requireBinary('promtool', 'prometheus'),
        ['check', 'config', path.join(dir, 'prometheus.yml')],
        {
          encoding: 'utf8',
        },
      );
      expect(result.status, result.stdout + result.stderr).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // Grafana's Prometheus datasource points at it, under the uid the service-health dashboard picks first.
    const datasource = parse(
      fs.readFileSync(
        path.join(dashboardsDir, '..', 'provisioning', 'datasources', 'prometheus.yaml'),
        'utf8',
      ),
    ) as { datasources: { uid: string; url: string }[] };
    expect(datasource.datasources[0]!.url).toBe('http://prometheus:9090');
    const health = JSON.parse(fs.readFileSync(path.join(dashboardsDir, 'service-health.json'), 'utf8'));
    expect(health.templating.list[0].current.value).toBe(datasource.datasources[0]!.uid);
  });

  it('mounts only local paths that exist, and Grafana finds the dashboards where its provider looks', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        if (source!.startsWith('.') || source!.startsWith('/')) {
          expect(fs.existsSync(path.join(repoRoot, source!)), `${name}: ${source}`).toBe(true);
        } else {
          expect(Object.keys(compose.volumes), `${name}: named volume ${source}`).toContain(source);
        }
      }
    }
    const provider = parse(
      fs.readFileSync(path.join(dashboardsDir, '..', 'provisioning', 'dashboards', 'sealwatch.yaml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    const grafanaMounts = compose.services.grafana!.volumes!.map((v) => v.split(':'));
    const dashboardMount = grafanaMounts.find(([, target]) => target === provider.providers[0]!.options.path);
    expect(path.resolve(repoRoot, dashboardMount![0]!)).toBe(dashboardsDir);
    expect(
      grafanaMounts.some(
        ([source, target]) =>
          source === './dashboards/grafana/provisioning' && target === '/etc/grafana/provisioning',
      ),
    ).toBe(true);
  });

  it('external-broker profile: two SealWatch instances consume Mosquitto on its service listener and share PostgreSQL', () => {
    expect(inProfile('external-broker')).toEqual([
      'mosquitto',
      'postgres',
      'sealwatch-consumer-1',
      'sealwatch-consumer-2',
    ]);
    const consumers = [compose.services['sealwatch-consumer-1']!, compose.services['sealwatch-consumer-2']!];
    for (const consumer of consumers) {
      expect(consumer.environment).toMatchObject({
        MQTT_URL: 'mqtt://mosquitto:1884',
        MQTT_USERNAME: 'sealwatch',
        MQTT_SHARE_GROUP: 'sealwatch',
      });
      expect(consumer.environment?.DATABASE_URL).toMatch(
        /^postgres:\/\/sealwatch:.*@postgres:5432\/sealwatch$/,
      );
      expect(consumer.ports?.some((p) => p.endsWith(':1883'))).toBe(false);
    }
    // Each instance has its own session at the broker, its own address for the others, its own data.
    for (const name of ['MQTT_CLIENT_ID', 'INSTANCE_URL'] as const) {
      expect(new Set(consumers.map((c) => c.environment?.[name])).size, name).toBe(2);
    }
    expect(consumers[1]!.environment?.INSTANCE_URL).toBe('http://sealwatch-consumer-2:8080');
    expect(new Set(consumers.flatMap((c) => c.volumes ?? [])).size).toBe(2);
    const mosquitto = compose.services.mosquitto!;
    const mount = mosquitto
      .volumes!.map((v) => v.split(':'))
      .find(([source]) => source === './deploy/mosquitto');
    const main = mosquitto
      .volumes!.map((v) => v.split(':'))
      .find(([source]) => source === './deploy/mosquitto.conf');
    expect(main![1]).toBe('/mosquitto/config/mosquitto.conf');
    const conf = fs.readFileSync(path.join(repoRoot, 'deploy/mosquitto.conf'), 'utf8');
    expect(conf).toMatch(/^persistence true$/m);
    expect(conf).toContain(`include_dir ${mount![1]}`);
    // The README in that folder gives the generator the same install dir and service listener.
    const readme = fs.readFileSync(path.join(repoRoot, 'deploy/mosquitto/README.md'), 'utf8');
    expect(readme).toContain(`--install-dir ${mount![1]}`);
    expect(readme).toContain('--service-listener 1884');
  });

  it('redis-nodes profile: two embedded-broker nodes on one Redis and one PostgreSQL, each with its own data and ports', () => {
    expect(inProfile('redis-nodes')).toEqual(['postgres', 'redis', 'sealwatch-node-1', 'sealwatch-node-2']);
    const nodes = [compose.services['sealwatch-node-1']!, compose.services['sealwatch-node-2']!];
    for (const node of nodes) {
      expect(node.environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(node.environment?.DATABASE_URL).toContain('@postgres:5432/sealwatch');
    }
    expect(new Set(nodes.map((n) => n.environment?.INSTANCE_URL)).size).toBe(2);
    expect(new Set(nodes.flatMap((n) => n.ports ?? [])).size).toBe(4);
    expect(new Set(nodes.flatMap((n) => n.volumes ?? [])).size).toBe(2);
    expect(compose.services.redis?.command).toContain('--appendonly');
    // The alerting lock of an instance cut off by the network is released within seconds, not hours.
    expect(compose.services.postgres?.command).toContain('tcp_keepalives_idle=10');
  });

  it('copies into the image only source paths that exist', () => {
    const dockerfile = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
    const copies = [...dockerfile.matchAll(/^COPY\s+(.+?)\s+\S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(copies.length).toBeGreaterThan(3);
    for (const source of copies) expect(fs.existsSync(path.join(repoRoot, source)), source).toBe(true);
  });

  it('copies every folder the service bundle is built from', async () => {
    const dockerfile = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
    const copied = new Set(
      [...dockerfile.matchAll(/^COPY\s+(.+?)\s+\S+$/gm)].flatMap((m) => m[1]!.split(/\s+/)),
    );
    // The same build as `npm run build`, asked which source files it reads.
    const { metafile } = await build({
      entryPoints: [path.join(repoRoot, 'app/main.ts')],
      absWorkingDir: repoRoot,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const folders = new Set(Object.keys(metafile.inputs).map((input) => input.split('/')[0]!));
    expect(folders.size).toBeGreaterThan(5);
    for (const folder of folders)
      expect(copied.has(folder), `Dockerfile does not copy ${folder}/`).toBe(true);
  });
});

describe('Grafana dashboards', () => {
  const dashboards = loadDashboards();

  it('are the five views, each with a unique uid, on the provisioned datasources', () => {
    expect(dashboards.map((d) => d.file).sort()).toEqual([
      'battery-signal.json',
      'fleet-overview.json',
      'ingest-rate.json',
      'seal-timeline.json',
      // Read from Prometheus, tested in test/integration/deploy/serviceHealthDashboard.test.ts.
      'service-health.json',
    ]);
    expect(new Set(dashboards.map((d) => d.json.uid)).size).toBe(dashboards.length);
    const seal = dashboards.find((d) => d.file === 'seal-timeline.json')!;
    expect(seal.json.templating.list.map((v) => v.name)).toContain('sensor');
  });

  it('query only measurements, fields and tags the telemetry writer emits', () => {
    const queries = dashboardQueries(influxDashboards(dashboards));
    expect(queries.length).toBeGreaterThan(15);
    for (const { where, query } of queries) {
      const named = [...query.matchAll(/FROM\s+"([^"]+)"/g)].map((m) => m[1]!);
      expect(named.length, `${where}: names no measurement: ${query}`).toBeGreaterThan(0);
      for (const m of named) expect(measurements[m], `${where}: unknown measurement ${m}`).toBeDefined();
      const known = new Set(
        named.flatMap((m) => [
          m,
          ...measurements[m]!.tags,
          ...Object.keys(measurements[m]!.fields),
          // The tag of the grid level the `level` variable picks (registry/gridLevelTags.ts).
          '$level',
        ]),
      );
      const identifiers = [...query.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
      for (const id of identifiers)
        expect(known.has(id), `${where}: "${id}" is not emitted: ${query}`).toBe(true);
      // The level variable lists the measurement's tag keys; its regex keeps the grid levels.
      if (/^SHOW TAG KEYS FROM "[^"]+"$/i.test(query)) continue;
      const show = /^SHOW TAG VALUES/i.test(query);
      const fields = new Set(named.flatMap((m) => Object.keys(measurements[m]!.fields)));
      const tags = new Set([...named.flatMap((m) => measurements[m]!.tags), '$level']);
      if (show)
        expect(
          identifiers.some((id) => tags.has(id)),
          `${where}: no tag key`,
        ).toBe(true);
      else
        expect(
          identifiers.some((id) => fields.has(id)),
          `${where}: names no field: ${query}`,
        ).toBe(true);
    }
  });
});
