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
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { runLoad } from '../simulator/load/runLoad.ts';
import { eventually } from '../test/helpers/eventually.ts';
import { metricValue } from '../test/helpers/metrics.ts';
import { connectSensor, eventPayload } from '../test/helpers/mqtt.ts';
import { startPostgres } from '../test/helpers/postgres.ts';
import { type RunningService, startService } from '../test/helpers/service.ts';
import { startWebhookReceiver } from '../test/helpers/webhookReceiver.ts';
import buildService from '../test/setup/buildService.ts';
import type { BenchContext, BenchResult } from './lib/types.ts';

const SEALS = 1_000;
const STORM_MS = 10_000;
const WORKERS = 20;
const PROBE = new URL('./lib/loopDelayProbe.mjs', import.meta.url);

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

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  buildService();
  const rounds = ctx.quick ? 3 : 10;
  const heartbeats = ctx.quick ? 10_000 : 30_000;
  const out: BenchResult['metrics'] = { seals: SEALS, 'storm seconds': STORM_MS / 1000 };
  const probeFile = join(tmpdir(), `sealwatch-loop-delay-${process.pid}.json`);
  const postgres = await startPostgres({ fsync: true });
  let databaseUrl = '';
  const hook = await startWebhookReceiver();
  let svc: (RunningService & { cleanup(): Promise<void> }) | null = null;
  let clients: MqttClient[] = [];
  try {
    databaseUrl = await postgres.createDatabase('storm');
    svc = await startService({
      env: {
        DATABASE_URL: databaseUrl,
        LOOP_DELAY_FILE: probeFile,
        // No escalation and no offline alert inside the run: the storm's alerts only.
        ESCALATE_AFTER: '1h',
        HEARTBEAT_INTERVAL: '1h',
      },
      nodeArgs: ['--import', PROBE.href],
    });
    const owner = svc;
    await eventually(
      async () =>
        metricValue(await metrics(owner, 'sealwatch_alerting_owner'), 'sealwatch_alerting_owner') === 1,
      15_000,
      'the instance owns alerting',
    );
    const secrets = await provision(svc, hook.url);
    clients = await connectAll(svc.mqttUrl, secrets);
    ctx.log(`${clients.length} seals connected`);
    await sleep(2_000);

    const idle = await (async () => {
      await loopDelay(owner, probeFile);
      await sleep(3_000);
      return loopDelay(owner, probeFile);
    })();
    out['idle: loop delay p99 ms'] = idle.p99;

    // ---- the storm: one opening every 10 ms
    await loopDelay(owner, probeFile);
    const raisedBefore = alertsRaised(owner);
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
    const sendSeconds = (performance.now() - t0) / 1000;
    const puback = (await Promise.all(pubacks)).sort((a, b) => a - b);
    const progress = setInterval(
      () => ctx.log(`  ${alertsRaised(owner) - raisedBefore} alerts raised`),
      5_000,
    );
    await eventually(
      () => alertsRaised(owner) - raisedBefore >= SEALS,
      120_000,
      'every breach raised',
    ).finally(() => clearInterval(progress));
    const decidedSeconds = (performance.now() - t0) / 1000;
    const storm = await loopDelay(owner, probeFile);
    out['storm: loop delay p50 ms'] = storm.p50;
    out['storm: loop delay p99 ms'] = storm.p99;
    out['storm: loop delay max ms'] = storm.max;
    out['storm: publishing took s'] = Math.round(sendSeconds * 10) / 10;
    out['storm: last alert raised after s'] = Math.round(decidedSeconds * 10) / 10;
    out['storm: PUBACK p50 ms'] = percentile(puback, 0.5);
    out['storm: PUBACK p99 ms'] = percentile(puback, 0.99);
    ctx.log(
      `storm: ${SEALS} alerts in ${decidedSeconds.toFixed(1)} s; loop delay p50 ${storm.p50} / p99 ${storm.p99} / max ${storm.max} ms; PUBACK p99 ${percentile(puback, 0.99)} ms`,
    );
    await sleep(5_000); // the deliveries' tail
    out['storm: webhook requests after 5 s'] = hook.received.length;

    // ---- door toggles at full speed: every opening is a decision
    const alertedBefore = metricValue(await metrics(owner, 'sealwatch_instances'), 'sealwatch_instances', {
      counter: 'feed_messages_alerted',
    });
    await loopDelay(owner, probeFile);
    const t1 = performance.now();
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
    const committedSeconds = (performance.now() - t1) / 1000;
    await eventually(
      async () =>
        metricValue(await metrics(owner, 'sealwatch_instances'), 'sealwatch_instances', {
          counter: 'feed_messages_alerted',
        }) -
          alertedBefore >=
        committed,
      300_000,
      'the owner decided every toggle',
    );
    const decidedTogglesSeconds = (performance.now() - t1) / 1000;
    const toggles = await loopDelay(owner, probeFile);
    out['door toggles'] = committed;
    out['door toggles: committed msg/s'] = Math.round(committed / committedSeconds);
    out['door toggles: decided msg/s'] = Math.round(committed / decidedTogglesSeconds);
    out['door toggles: loop delay p99 ms'] = toggles.p99;
    ctx.log(
      `toggles: ${committed} committed at ${out['door toggles: committed msg/s']} msg/s, decided at ${out['door toggles: decided msg/s']} msg/s; loop p99 ${toggles.p99} ms`,
    );
    await Promise.all(clients.map((c) => c.endAsync()));
    clients = [];

    // ---- heartbeats at full speed: no decisions
    await loopDelay(owner, probeFile);
    const load = await runLoad({
      url: owner.mqttUrl,
      connections: 50,
      qos: 1,
      count: heartbeats,
      inflight: 64,
      credentials: [...secrets].slice(0, 50).map(([sensorId, secret]) => ({ sensorId, secret })),
    });
    const beats = await loopDelay(owner, probeFile);
    out.heartbeats = load.acked;
    out['heartbeats: committed msg/s'] = load.ackedPerSec;
    out['heartbeats: loop delay p99 ms'] = beats.p99;
    ctx.log(`heartbeats: ${load.acked} at ${load.ackedPerSec} msg/s; loop p99 ${beats.p99} ms`);
  } catch (err) {
    await explainFailure(ctx, svc, databaseUrl).catch((e: unknown) =>
      ctx.log(`no explanation: ${String(e)}`),
    );
    throw err;
  } finally {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    await svc?.cleanup();
    await hook.close();
    await postgres.close();
    rmSync(probeFile, { force: true });
  }
  return {
    name: 'alert-storm-pg',
    metrics: out,
    notes: [
      'One instance on PostgreSQL 15 (fsync on), its embedded broker; the 1,000 MQTT clients, PostgreSQL and the webhook receiver share the same cores.',
      "Loop delay: perf_hooks.monitorEventLoopDelay inside the service process, the time its 10 ms timer ran late, from the storm's first PUBLISH until its 1,000th 'alert raised'.",
      'Door toggles: each seal closes and opens its door again as fast as its PUBACKs come (QoS 1, one in flight per seal); decided = the owner has read every one from the seal feed.',
      'Heartbeats: 50 connections, 64 in flight each (QoS 1), as fast as acknowledged.',
    ],
  };
}
