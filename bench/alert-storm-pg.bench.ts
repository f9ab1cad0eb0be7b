/**
 * An alert storm on PostgreSQL: how long the alerting owner's event loop waits while it decides.
 *
 * One instance on PostgreSQL (fsync on) with its embedded broker owns alerting. 1,000 armed seals
 * open their doors within 10 s (one PUBLISH every 10 ms, QoS 1): 1,000 breach alerts, each written
 * by the owner's engine with its outbox rows, then delivered to 20 workers' webhooks. The owner's
 * event-loop delay is sampled in its own process (bench/lib/loopDelayProbe.mjs, loaded with
 * `--import`: perf_hooks.monitorEventLoopDelay, how late its 10 ms timer runs) from the first PUBLISH until the
 * last alert is raised. The same process runs the broker, ingest and the API, so a stalled loop is
 * late PUBACKs, late pages and late alerts for everyone.
 *
 * Then messages/s on the same instance: door toggles from the 1,000 seals at full speed (each
 * opening is a decision the owner writes: an occurrence on the open breach, the daily counter),
 * counted as committed (PUBACKs) and as decided (the owner's feed has caught up); and heartbeats at
 * full speed from 50 connections (no decisions), as the shared-store bench counts them.
 *
 * Last, the same storm on a second instance whose PostgreSQL is "on another machine": every TCP
 * chunk between them delayed 1 ms by a proxy (test/helpers/faultProxy.ts), as several instances
 * sharing one database run it. A write that waits for the network is where blocking costs most.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { runLoad } from '../simulator/load/runLoad.ts';
import { eventually } from '../test/helpers/eventually.ts';
import { type FaultProxy, startFaultProxy } from '../test/helpers/faultProxy.ts';
import { metricValue } from '../test/helpers/metrics.ts';
import { connectSensor, eventPayload } from '../test/helpers/mqtt.ts';
import { type PostgresServer, startPostgres } from '../test/helpers/postgres.ts';
import { type RunningService, startService } from '../test/helpers/service.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../test/helpers/webhookReceiver.ts';
import buildService from '../test/setup/buildService.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

const SEALS = 1_000;
const STORM_MS = 10_000;
const WORKERS = 20;
const PROBE = new URL('./lib/loopDelayProbe.mjs', import.meta.url);
/** Each way, per TCP chunk, for PostgreSQL on another machine. */
const REMOTE_DELAY_MS = 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const v = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  return Math.round(v * 10) / 10;
}

interface LoopDelay {
  window: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

/** Ends the probe's current window in the service process and returns what it saw. */
async function loopDelay(svc: RunningService, file: string): Promise<LoopDelay> {
  const read = (): LoopDelay | null => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as LoopDelay;
    } catch {
      return null; // not written yet
    }
  };
  const seen = read()?.window ?? 0;
  process.kill(svc.pid, 'SIGUSR2');
  await eventually(() => (read()?.window ?? 0) > seen, 30_000, 'the loop-delay probe answered');
  return read() as LoopDelay;
}

async function importCsv(svc: RunningService, entity: string, csv: string) {
  const r = await fetch(`${svc.httpUrl}/api/import/${entity}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'text/csv' },
    body: csv,
  });
  const body = (await r.json()) as { secrets?: Array<{ sensorId: string; secret: string }> };
  if (r.status !== 201) throw new Error(`import ${entity}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

/** 20 grid nodes with a worker each (webhook), 50 armed households per node, one seal per household. */
async function provision(svc: RunningService, hookUrl: string): Promise<Map<string, string>> {
  const rows = (header: string, lines: string[]) => [header, ...lines].join('\n');
  const nodes = Array.from({ length: WORKERS }, (_, i) => `g${i}`);
  await importCsv(
    svc,
    'grid',
    rows('id,name,parentId,level', ['storm,storm,,county', ...nodes.map((g) => `${g},${g},storm,grid`)]),
  );
  await importCsv(
    svc,
    'workers',
    rows(
      'id,name,gridId,role,email,phone,webhook',
      nodes.map((g) => `w-${g},${g},${g},worker,,,${hookUrl}/${g}`),
    ),
  );
  const seals = Array.from({ length: SEALS }, (_, i) => ({ id: `s${i}`, h: `h${i}`, g: `g${i % WORKERS}` }));
  await importCsv(
    svc,
    'households',
    rows(
      'id,gridId,address,contact',
      seals.map((s) => `${s.h},${s.g},${s.h} 号,`),
    ),
  );
  const start = new Date(Date.now() - 24 * 3_600_000).toISOString();
  await importCsv(
    svc,
    'quarantines',
    rows(
      'householdId,start,end',
      seals.map((s) => `${s.h},${start},`),
    ),
  );
  const answer = await importCsv(
    svc,
    'sensors',
    rows(
      'id,householdId,model,friendlyName',
      seals.map((s) => `${s.id},${s.h},generic,`),
    ),
  );
  return new Map((answer.secrets ?? []).map((s) => [s.sensorId, s.secret]));
}

async function connectAll(url: string, secrets: Map<string, string>): Promise<MqttClient[]> {
  const ids = [...secrets.keys()];
  const clients: MqttClient[] = [];
  for (let i = 0; i < ids.length; i += 50) {
    const chunk = ids.slice(i, i + 50);
    clients.push(
      ...(await Promise.all(chunk.map((id) => connectSensor(url, id, secrets.get(id) as string)))),
    );
  }
  return clients;
}

const publish = (c: MqttClient, topic: string, payload: string) =>
  new Promise<void>((resolve, reject) =>
    c.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())),
  );

async function metrics(svc: RunningService, names: string): Promise<string> {
  return (await svc.api('GET', `/metrics?name=${names}`, undefined)).body as string;
}

const alertsRaised = (svc: RunningService) =>
  svc.logs.filter((l) => typeof l === 'object' && l.msg === 'alert raised').length;

/** When the storm's alerts do not all appear: what the service logged and what the database holds. */
async function explainFailure(ctx: BenchContext, svc: RunningService | null, databaseUrl: string) {
  if (svc) {
    for (const l of svc.logs.filter((l) => typeof l === 'object' && Number(l.level) >= 40).slice(-20))
      ctx.log(`service: ${JSON.stringify(l).slice(0, 400)}`);
    ctx.log(`alerts raised: ${alertsRaised(svc)}`);
    ctx.log(await metrics(svc, 'sealwatch_ingest,sealwatch_instances'));
  }
  if (!databaseUrl) return;
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (const q of [
      'SELECT count, count(*)::int AS n FROM alerts GROUP BY count',
      'SELECT key, value FROM engine_state',
      'SELECT count(*)::int AS rows, sum(jsonb_array_length(events::jsonb))::int AS messages FROM seal_feed',
      // The feed's messages whose seal has no alert, or one counted more than once.
      `SELECT f.id, f.xid::text AS xid, e->'message'->>'sensorId' AS sensor, a.count
        FROM seal_feed f CROSS JOIN jsonb_array_elements(f.events::jsonb) e
        LEFT JOIN alerts a ON a.sensor_id = e->'message'->>'sensorId'
        WHERE a.count IS DISTINCT FROM 1 ORDER BY f.id LIMIT 100`,
      `SELECT application_name, state, now() - xact_start AS in_tx, wait_event, left(query, 80) AS query
        FROM pg_stat_activity WHERE datname = current_database()`,
    ])
      ctx.log(`${q.slice(0, 40)}: ${JSON.stringify((await db.query(q)).rows)}`);
  } finally {
    await db.end();
  }
}

/** One service on its own database with 1,000 armed seals connected, its loop probed. */
interface Rig {
  svc: RunningService & { cleanup(): Promise<void> };
  clients: MqttClient[];
  secrets: Map<string, string>;
  databaseUrl: string;
  probeFile: string;
  loopDelay(): Promise<LoopDelay>;
  close(): Promise<void>;
}

async function startRig(
  ctx: BenchContext,
  postgres: PostgresServer,
  hook: WebhookReceiver,
  name: string,
  proxy: FaultProxy | null,
): Promise<Rig> {
  const databaseUrl = await postgres.createDatabase(name);
  const serviceUrl = new URL(databaseUrl);
  if (proxy) serviceUrl.port = String(proxy.port);
  const probeFile = join(tmpdir(), `sealwatch-loop-delay-${process.pid}-${name}.json`);
  const svc = await startService({
    env: {
      DATABASE_URL: serviceUrl.toString(),
      LOOP_DELAY_FILE: probeFile,
      // No escalation and no offline alert inside the run: the storm's alerts only.
      ESCALATE_AFTER: '1h',
      HEARTBEAT_INTERVAL: '1h',
    },
    nodeArgs: ['--import', PROBE.href],
  });
  const rig: Rig = {
    svc,
    clients: [],
    secrets: new Map(),
    databaseUrl,
    probeFile,
    loopDelay: () => loopDelay(svc, probeFile),
    async close() {
      await Promise.all(rig.clients.map((c) => c.endAsync().catch(() => undefined)));
      await svc.cleanup();
      rmSync(probeFile, { force: true });
    },
  };
  try {
    await eventually(
      async () =>
        metricValue(await metrics(svc, 'sealwatch_alerting_owner'), 'sealwatch_alerting_owner') === 1,
      15_000,
      'the instance owns alerting',
    );
    rig.secrets = await provision(svc, hook.url);
    rig.clients = await connectAll(svc.mqttUrl, rig.secrets);
    ctx.log(`${name}: ${rig.clients.length} seals connected`);
    await sleep(2_000);
  } catch (err) {
    await rig.close();
    throw err;
  }
  return rig;
}

/** 1,000 openings, one every 10 ms: the owner's loop delay until the 1,000th alert is raised. */
async function storm(ctx: BenchContext, rig: Rig, label: string, out: BenchResult['metrics']) {
  const { svc, clients } = rig;
  await rig.loopDelay();
  const raisedBefore = alertsRaised(svc);
  const t0 = performance.now();
  const pubacks: Array<Promise<number>> = [];
  for (const [i, c] of clients.entries()) {
    const due = t0 + (i * STORM_MS) / clients.length;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const sent = performance.now();
    const id = c.options.clientId as string;
    pubacks.push(
      publish(c, `seal/${id}/event`, eventPayload('open', 1)).then(() => performance.now() - sent),
    );
  }
  const puback = (await Promise.all(pubacks)).sort((a, b) => a - b);
  const progress = setInterval(() => ctx.log(`  ${alertsRaised(svc) - raisedBefore} alerts raised`), 5_000);
  await eventually(() => alertsRaised(svc) - raisedBefore >= SEALS, 120_000, 'every breach raised').finally(
    () => clearInterval(progress),
  );
  const decidedSeconds = (performance.now() - t0) / 1000;
  const delay = await rig.loopDelay();
  out[`${label}: loop delay p50 ms`] = delay.p50;
  out[`${label}: loop delay p99 ms`] = delay.p99;
  out[`${label}: loop delay max ms`] = delay.max;
  out[`${label}: last alert raised after s`] = Math.round(decidedSeconds * 10) / 10;
  out[`${label}: PUBACK p50 ms`] = percentile(puback, 0.5);
  out[`${label}: PUBACK p99 ms`] = percentile(puback, 0.99);
  ctx.log(
    `${label}: ${SEALS} alerts in ${decidedSeconds.toFixed(1)} s; loop delay p50 ${delay.p50} / p99 ${delay.p99} / max ${delay.max} ms; PUBACK p99 ${percentile(puback, 0.99)} ms`,
  );
}

/** Every seal closes and opens again, `rounds` times, as fast as acknowledged: each opening is a decision. */
async function toggles(ctx: BenchContext, rig: Rig, rounds: number, out: BenchResult['metrics']) {
  const { svc, clients } = rig;
  const alerted = async () =>
    metricValue(await metrics(svc, 'sealwatch_instances'), 'sealwatch_instances', {
      counter: 'feed_messages_alerted',
    });
  const alertedBefore = await alerted();
  await rig.loopDelay();
  const t0 = performance.now();
  let committed = 0;
  await Promise.all(
    clients.map(async (c) => {
      const id = c.options.clientId as string;
      for (let r = 0; r < rounds; r++) {
        await publish(c, `seal/${id}/event`, eventPayload('close', 2 + 2 * r));
        await publish(c, `seal/${id}/event`, eventPayload('open', 3 + 2 * r));
        committed += 2;
      }
    }),
  );
  const committedSeconds = (performance.now() - t0) / 1000;
  await eventually(
    async () => (await alerted()) - alertedBefore >= committed,
    300_000,
    'the owner decided every toggle',
  );
  const decidedSeconds = (performance.now() - t0) / 1000;
  const delay = await rig.loopDelay();
  out['door toggles'] = committed;
  out['door toggles: committed msg/s'] = Math.round(committed / committedSeconds);
  out['door toggles: decided msg/s'] = Math.round(committed / decidedSeconds);
  out['door toggles: loop delay p99 ms'] = delay.p99;
  ctx.log(
    `toggles: ${committed} committed at ${out['door toggles: committed msg/s']} msg/s, decided at ${out['door toggles: decided msg/s']} msg/s; loop p99 ${delay.p99} ms`,
  );
}

/** Heartbeats from 50 connections as fast as acknowledged: ingest alone, no decisions. */
async function heartbeats(ctx: BenchContext, rig: Rig, count: number, out: BenchResult['metrics']) {
  await Promise.all(rig.clients.map((c) => c.endAsync()));
  rig.clients = [];
  await rig.loopDelay();
  const load = await runLoad({
    url: rig.svc.mqttUrl,
    connections: 50,
    qos: 1,
    count,
    inflight: 64,
    credentials: [...rig.secrets].slice(0, 50).map(([sensorId, secret]) => ({ sensorId, secret })),
  });
  const delay = await rig.loopDelay();
  out.heartbeats = load.acked;
  out['heartbeats: committed msg/s'] = load.ackedPerSec;
  out['heartbeats: loop delay p99 ms'] = delay.p99;
  ctx.log(`heartbeats: ${load.acked} at ${load.ackedPerSec} msg/s; loop p99 ${delay.p99} ms`);
}

/** Runs `body` on a rig, explaining a failure from the service's logs and the database. */
async function onRig(ctx: BenchContext, rig: Rig, body: () => Promise<void>) {
  try {
    await body();
  } catch (err) {
    await explainFailure(ctx, rig.svc, rig.databaseUrl).catch((e: unknown) =>
      ctx.log(`no explanation: ${String(e)}`),
    );
    throw err;
  } finally {
    await rig.close();
  }
}

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  buildService();
  const out: BenchResult['metrics'] = { seals: SEALS, 'storm seconds': STORM_MS / 1000 };
  const postgres = await startPostgres({ fsync: true });
  const hook = await startWebhookReceiver();
  const proxy = await startFaultProxy(Number(new URL(postgres.url).port));
  try {
    const local = await startRig(ctx, postgres, hook, 'storm', null);
    await onRig(ctx, local, async () => {
      const idle = await (async () => {
        await local.loopDelay();
        await sleep(3_000);
        return local.loopDelay();
      })();
      out['idle: loop delay p99 ms'] = idle.p99;
      await storm(ctx, local, 'storm', out);
      await sleep(5_000); // the deliveries' tail
      out['storm: webhook requests after 5 s'] = hook.received.length;
      await toggles(ctx, local, ctx.quick ? 3 : 10, out);
      await heartbeats(ctx, local, ctx.quick ? 10_000 : 30_000, out);
    });
    proxy.set({ kind: 'slow', delayMs: REMOTE_DELAY_MS });
    const remote = await startRig(ctx, postgres, hook, 'remote', proxy);
    await onRig(ctx, remote, () => storm(ctx, remote, `storm, PostgreSQL ${REMOTE_DELAY_MS} ms away`, out));
  } finally {
    await proxy.close();
    await hook.close();
    await postgres.close();
  }
  return {
    name: 'alert-storm-pg',
    metrics: out,
    notes: [
      'One instance on PostgreSQL 15 (fsync on), its embedded broker; the 1,000 MQTT clients, PostgreSQL and the webhook receiver share the same cores.',
      "Loop delay: perf_hooks.monitorEventLoopDelay inside the service process, the time its 10 ms timer ran late, from the storm's first PUBLISH until its 1,000th 'alert raised'.",
      'Door toggles: each seal closes and opens its door again as fast as its PUBACKs come (QoS 1, one in flight per seal); decided = the owner has read every one from the seal feed.',
      'Heartbeats: 50 connections, 64 in flight each (QoS 1), as fast as acknowledged.',
      `PostgreSQL ${REMOTE_DELAY_MS} ms away: a second instance on its own database reaches PostgreSQL through a TCP proxy in the bench process that delays every chunk ${REMOTE_DELAY_MS} ms each way (timers: at least that, more when the bench's own loop is busy).`,
    ],
  };
}
