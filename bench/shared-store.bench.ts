/**
 * Several instances on one PostgreSQL behind Mosquitto (README "Beyond one machine"), with one
 * and with two instances: messages/s the instances commit (QoS 1 heartbeats at full speed into
 * Mosquitto; counted by the instances' own acknowledgements, not Mosquitto's PUBACKs), and the
 * time from a breach's PUBLISH to the worker's webhook (through Mosquitto, an instance's commit,
 * the seal feed, the owner's engine and the outbox).
 */
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import pgClient from 'pg';
import { runLoad } from '../simulator/load/runLoad.ts';
import { creating } from '../test/helpers/created.ts';
import { eventually } from '../test/helpers/eventually.ts';
import { metricValue } from '../test/helpers/metrics.ts';
import { connectClient, eventPayload } from '../test/helpers/mqtt.ts';
import { startPostgres } from '../test/helpers/postgres.ts';
import type { RunningService } from '../test/helpers/service.ts';
import { type SharedStoreRig, startSharedStoreRig } from '../test/helpers/sharedStoreRig.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../test/helpers/webhookReceiver.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const v = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  return Math.round(v * 10) / 10;
}

const post = (svc: RunningService, path: string, body: unknown): Promise<Record<string, unknown>> =>
  creating(svc)(path, body);

const acknowledged = async (instances: RunningService[]) => {
  let n = 0;
  for (const s of instances) {
    const text = (await s.api('GET', '/metrics', undefined, null)).body as string;
    n += metricValue(text, 'sealwatch_external_broker', { counter: 'acknowledged' });
  }
  return n;
};

/** Breach seals, each in its own node with its own worker (no per-recipient folding), and heartbeat sensors. */
async function provision(first: RunningService, hook: WebhookReceiver, breaches: number, heartbeats: number) {
  const secrets = new Map<string, string>();
  await post(first, '/api/grid', { id: 'bench', name: 'bench', parentId: null, level: 'county' });
  const start = new Date(Date.now() - 60_000).toISOString();
  for (let i = 0; i < breaches; i++) {
    const g = `b-${i}`;
    await post(first, '/api/grid', { id: g, name: g, parentId: 'bench', level: 'grid' });
    await post(first, '/api/workers', {
      id: `w-${g}`,
      name: g,
      gridId: g,
      role: 'worker',
      webhook: `${hook.url}/${g}`,
    });
    await post(first, '/api/households', { id: `h-${g}`, gridId: g, address: `${g} 号` });
    await post(first, '/api/quarantines', { householdId: `h-${g}`, start });
    secrets.set(
      `s-${g}`,
      (await post(first, '/api/sensors', { id: `s-${g}`, householdId: `h-${g}` })).secret as string,
    );
  }
  for (let i = 0; i < heartbeats; i++) {
    const id = `hb-${i}`;
    await post(first, '/api/households', { id: `h-${id}`, gridId: 'bench', address: id });
    secrets.set(id, (await post(first, '/api/sensors', { id, householdId: `h-${id}` })).secret as string);
  }
  return secrets;
}

async function breachLatencies(
  rig: SharedStoreRig,
  hook: WebhookReceiver,
  secrets: Map<string, string>,
  n: number,
) {
  const latencies: number[] = [];
  const clients: MqttClient[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const id = `s-b-${i}`;
      const c = await connectClient(rig.deviceUrl, {
        protocolVersion: 5,
        clientId: id,
        username: id,
        password: secrets.get(id) as string,
      });
      clients.push(c);
      const arrived = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no webhook for ${id} within 30 s`)), 30_000);
        hook.onRequest = (r) => {
          if (r.path !== `/b-${i}`) return;
          clearTimeout(timer);
          resolve(performance.now());
        };
      });
      const t0 = performance.now();
      c.publish(`seal/${id}/event`, eventPayload('open', 1), { qos: 1 });
      latencies.push((await arrived) - t0);
      await sleep(100);
    }
  } finally {
    hook.onRequest = null;
    await Promise.all(clients.map((c) => c.endAsync()));
  }
  return latencies.sort((x, y) => x - y);
}

/** Statements PostgreSQL ran (pg_stat_statements), by text, and transactions committed, since the last reset. */
async function statementCounts(databaseUrl: string) {
  const client = new pgClient.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ query: string; calls: string }>(
      `SELECT regexp_replace(left(query, 90), '\\s+', ' ', 'g') AS query, calls::text FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY calls DESC LIMIT 8`,
    );
    const { rows: x } = await client.query<{ n: string }>(
      'SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return {
      statements: rows.map((r) => ({ query: r.query, calls: Number(r.calls) })),
      commits: Number(x[0]?.n),
    };
  } finally {
    await client.end();
  }
}

async function resetStatementCounts(databaseUrl: string) {
  const client = new pgClient.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
    await client.query('SELECT pg_stat_reset()');
  } finally {
    await client.end();
  }
}

/** SQLite in one instance (the comparison), then 1, 2 and 3 instances on one PostgreSQL. */
const RUNS: Array<{ label: string; store: 'sqlite' | 'postgres'; instances: number }> = [
  { label: 'SQLite, 1 instance', store: 'sqlite', instances: 1 },
  { label: '1 instance(s)', store: 'postgres', instances: 1 },
  { label: '2 instance(s)', store: 'postgres', instances: 2 },
  { label: '3 instance(s)', store: 'postgres', instances: 3 },
];

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const breaches = ctx.quick ? 10 : 30;
  const connections = ctx.quick ? 20 : 50;
  const count = ctx.quick ? 20_000 : 60_000;
  // BENCH_SHARED_STORE_RUNS=<labels' first words, e.g. "SQLite,1">: only those runs.
  // BENCH_CPU_PROF_DIR=<dir>: the instances write V8 CPU profiles there (bench/lib/cpuProfileTop.ts reads them).
  const only = process.env.BENCH_SHARED_STORE_RUNS?.split(',');
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const metrics: BenchResult['metrics'] = {
    breaches,
    'load connections': connections,
    'load messages': count,
  };
  // fsync on: commit costs as in production; pg_stat_statements counts the statements per commit group.
  const pg = await startPostgres({ fsync: true, preload: ['pg_stat_statements'] });
  const hook = await startWebhookReceiver();
  try {
    for (const [i, r] of RUNS.entries()) {
      if (only && !only.some((o) => r.label.startsWith(o))) continue;
      const secrets = new Map<string, string>();
      const databaseUrl = r.store === 'postgres' ? await pg.createDatabase(`bench_${i}`) : null;
      const rig = await startSharedStoreRig({
        databaseUrl,
        instances: r.instances,
        env: { ESCALATE_AFTER: '1h' },
        ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${i}`] } : {}),
        provision: async (first) => {
          for (const [k, v] of await provision(first, hook, breaches, connections)) secrets.set(k, v);
          return secrets;
        },
      });
      try {
        const idle = await breachLatencies(rig, hook, secrets, breaches);
        metrics[`${r.label}: breach publish→webhook p50 ms`] = percentile(idle, 0.5);
        metrics[`${r.label}: breach publish→webhook p99 ms`] = percentile(idle, 0.99);
        ctx.log(
          `  ${r.label}: breach → webhook p50 ${percentile(idle, 0.5)} ms, p99 ${percentile(idle, 0.99)} ms`,
        );

        if (databaseUrl) await resetStatementCounts(databaseUrl);
        const before = await acknowledged(rig.instances);
        const t0 = performance.now();
        const load = await runLoad({
          url: rig.deviceUrl,
          connections,
          qos: 1,
          count,
          inflight: 64,
          credentials: [...secrets]
            .filter(([id]) => id.startsWith('hb-'))
            .map(([sensorId, secret]) => ({ sensorId, secret })),
        });
        await eventually(
          async () => (await acknowledged(rig.instances)) - before >= load.acked,
          120_000,
          'all committed',
        );
        const seconds = (performance.now() - t0) / 1000;
        metrics[`${r.label}: committed msg/s`] = Math.round(load.acked / seconds);
        metrics[`${r.label}: Mosquitto PUBACK msg/s`] = load.ackedPerSec;
        ctx.log(
          `  ${r.label}: ${load.acked} heartbeats committed at ${metrics[`${r.label}: committed msg/s`]} msg/s`,
        );
        if (databaseUrl) {
          // Let the feed readers catch up, then count what the load cost in statements.
          await sleep(1_500);
          const counts = await statementCounts(databaseUrl);
          metrics[`${r.label}: transactions per 1,000 msgs`] = Math.round(
            (counts.commits / load.acked) * 1000,
          );
          for (const st of counts.statements) ctx.log(`    ${st.calls}\t${st.query}`);
        }
        if (profileDir) await Promise.all(rig.instances.map((s) => s.stop()));
      } finally {
        await rig.close();
      }
    }
    const sqlite = metrics['SQLite, 1 instance: committed msg/s'];
    const one = metrics['1 instance(s): committed msg/s'];
    if (typeof sqlite === 'number' && typeof one === 'number')
      metrics['PostgreSQL ÷ SQLite, 1 instance'] = Math.round((one / sqlite) * 100) / 100;
  } finally {
    await hook.close();
    await pg.close();
  }
  return {
    name: 'shared-store',
    metrics,
    notes: [
      'Mosquitto, PostgreSQL 15 (fsync on), the instances, the load generator and the webhook receiver share two cores.',
      'SQLite, 1 instance: the same rig (Mosquitto, MQTT_URL) without DATABASE_URL, for the per-instance ratio (issue 20 item 4: ≥ 0.6).',
      'committed msg/s: heartbeats at full speed (QoS 1, 64 in flight per connection) from the first PUBLISH until the instances have acknowledged every one to Mosquitto after their commit.',
      'Breaches one at a time, 100 ms apart, each to its own worker; webhook = generic JSON to a loopback receiver.',
      'transactions per 1,000 msgs: PostgreSQL commits during the load, every instance, feed reads included.',
    ],
  };
}
