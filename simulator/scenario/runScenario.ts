import type { ApiClient } from '../api/apiClient.ts';
import { newRunId, provision, runNodeId } from '../api/provision.ts';
import { formatDuration } from '../cli/duration.ts';
import type { SensorCredential } from '../fleet/credentials.ts';
import { childSeed } from '../models/rng.ts';
import {
  type ExpectationResult,
  ExpectationTracker,
  type ObservedAlert,
  type ObservedSeal,
} from './expectationTracker.ts';
import type { Scenario, Step } from './scenarioSchema.ts';
import { ScenarioSensor } from './scenarioSensor.ts';

export interface RunScenarioOptions {
  scenario: Scenario;
  url: string;
  api?: ApiClient;
  /** For scenarios whose sensors name existing ids. */
  credentials?: readonly SensorCredential[];
  gridParent?: string | null;
  qos?: 0 | 1;
  pollMs?: number;
  print: (line: string) => void;
  /** A status line for long waits, refreshed every poll. */
  progress?: (text: string) => void;
  signal?: AbortSignal;
}

export interface ScenarioReport {
  name: string;
  runId: string;
  passed: boolean;
  interrupted: boolean;
  results: ExpectationResult[];
  problems: string[];
  elapsedMs: number;
}

interface Resolved {
  sensorId: string;
  secret: string;
  householdId: string | undefined;
  gridId: string | undefined;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

const isAlert = (a: unknown): a is ObservedAlert => typeof (a as ObservedAlert | undefined)?.id === 'string';

/** The SPEC answers a plain array; a paginated `{items,total}` answer is followed page by page too. */
async function openAlerts(api: ApiClient): Promise<ObservedAlert[]> {
  const first = await api.get<unknown>('/api/alerts?status=open');
  if (Array.isArray(first)) return first.filter(isAlert);
  const page = first as { items?: unknown[]; total?: number } | undefined;
  const items = [...(page?.items ?? [])];
  while (page?.total !== undefined && items.length < page.total) {
    const next = await api.get<{ items?: unknown[] }>(
      `/api/alerts?status=open&offset=${items.length}&limit=1000`,
    );
    if (!next.items?.length) break;
    items.push(...next.items);
  }
  return items.filter(isAlert);
}

export async function runScenario(o: RunScenarioOptions): Promise<ScenarioReport> {
  const s = o.scenario;
  const print = o.print;
  const problems: string[] = [];
  const runId = newRunId();
  const resolved = new Map<string, Resolved>();
  const nodeIds = new Map<string, string>();

  if (s.sensors.every((x) => x.id !== undefined)) {
    const byId = new Map((o.credentials ?? []).map((c) => [c.sensorId, c]));
    for (const x of s.sensors) {
      const c = byId.get(x.id!);
      if (!c) throw new Error(`sensor ${x.name} (${x.id}) has no row in the credentials file`);
      resolved.set(x.name, {
        sensorId: c.sensorId,
        secret: c.secret,
        householdId: c.householdId,
        gridId: c.gridId,
      });
      const node = x.node ?? s.nodes[0]!;
      if (c.gridId && !nodeIds.has(node)) nodeIds.set(node, c.gridId);
    }
    for (const n of s.nodes) if (!nodeIds.has(n)) nodeIds.set(n, n);
  } else {
    if (!o.api) throw new Error('provisioning the scenario sensors needs --api and an admin token');
    print(
      `provisioning ${s.sensors.length} sensor(s) in ${s.nodes.length} node(s) under ${runNodeId(runId)}`,
    );
    const result = await provision(o.api, {
      runId,
      parentId: o.gridParent ?? null,
      leaves: s.nodes,
      sensors: s.sensors.map((x) => ({
        key: x.name,
        leaf: x.node ?? s.nodes[0]!,
        quarantined: x.quarantined,
        ...(x.model ? { model: x.model } : {}),
      })),
    });
    for (const [key, p] of result.sensors) resolved.set(key, { ...p });
    for (const [leaf, id] of result.leafIds) nodeIds.set(leaf, id);
    nodeIds.set('__root', result.rootId);
  }

  const sensorIds = new Set([...resolved.values()].map((r) => r.sensorId));
  const nodeIdSet = new Set(nodeIds.values());
  const pollMs = o.pollMs ?? 500;
  const tracker = new ExpectationTracker(
    s.expect,
    {
      sensorId: (n) => resolved.get(n)!.sensorId,
      nodeId: (n) => nodeIds.get(n)!,
      ownsSensor: (id) => sensorIds.has(id),
      ownsNode: (id) => nodeIdSet.has(id),
    },
    Math.max(5000, 3 * pollMs),
  );

  const problem = (text: string) => {
    problems.push(text);
    print(`  ! ${text}`);
  };
  const sensors = new Map<string, ScenarioSensor>();
  s.sensors.forEach((x, i) => {
    const r = resolved.get(x.name)!;
    sensors.set(
      x.name,
      new ScenarioSensor({
        name: x.name,
        sensorId: r.sensorId,
        secret: r.secret,
        url: o.url,
        heartbeatMs: s.heartbeatMs,
        qos: o.qos ?? 1,
        seed: childSeed(42, i),
        onProblem: problem,
      }),
    );
  });

  print(`connecting ${sensors.size} sensor(s) to ${o.url}`);
  await Promise.all([...sensors.values()].map((x) => x.connect()));
  const t0 = Date.now();
  const elapsed = () => Date.now() - t0;
  const stamp = () => `[${(elapsed() / 1000).toFixed(1).padStart(6)}s]`;
  print(`${stamp()} scenario "${s.name}" started (runs up to ${formatDuration(s.lengthMs)})`);

  const pick = (t: 'all' | string[]): ScenarioSensor[] =>
    t === 'all' ? [...sensors.values()] : t.map((n) => sensors.get(n)!);
  const names = (t: 'all' | string[]) => (t === 'all' ? 'all sensors' : t.join(', '));
  const iso = (offsetMs: number) => new Date(t0 + offsetMs).toISOString();
  const template = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value.replace(/\$\{(sensor|household|node|time):([^}]+)\}/g, (m, kind: string, arg: string) => {
        if (kind === 'sensor') return resolved.get(arg)?.sensorId ?? m;
        if (kind === 'household') return resolved.get(arg)?.householdId ?? m;
        if (kind === 'node') return nodeIds.get(arg) ?? m;
        const sign = arg.startsWith('-') ? -1 : 1;
        const ms = /^[-+]?(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(arg);
        if (!ms) return m;
        const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[ms[2] as 'ms'] ?? 1;
        return new Date(Date.now() + sign * Number(ms[1]) * unit).toISOString();
      });
    }
    if (Array.isArray(value)) return value.map(template);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, template(v)]));
    return value;
  };

  async function perform(step: Step): Promise<void> {
    switch (step.action) {
      case 'open':
      case 'close':
      case 'tamper':
      case 'heartbeat': {
        const sent = await Promise.all(pick(step.value).map((x) => x.send(step.action)));
        const skipped = sent.filter((ok) => !ok).length;
        print(
          `${stamp()} ${step.action} ${names(step.value)}${skipped ? ` (${skipped} not sent: silenced or link down)` : ''}`,
        );
        return;
      }
      case 'battery':
        for (const x of pick(step.value.sensor)) {
          x.device.battery.set(step.value.level);
          await x.send('heartbeat');
        }
        print(`${stamp()} battery ${step.value.level}% on ${names(step.value.sensor)}`);
        return;
      case 'linkDrop':
        for (const x of pick(step.value)) {
          x.dropped = true;
          x.drop();
        }
        print(`${stamp()} link dropped: ${names(step.value)}`);
        return;
      case 'linkRestore':
        print(`${stamp()} link restored: ${names(step.value)}`);
        await Promise.all(
          pick(step.value).map(async (x) => {
            x.dropped = false;
            await x.connect().catch((err: Error) => problem(`${x.name}: reconnect failed: ${err.message}`));
          }),
        );
        return;
      case 'silence':
        for (const x of pick(step.value)) x.silenced = true;
        print(`${stamp()} silenced (connected, sending nothing): ${names(step.value)}`);
        return;
      case 'resume':
        for (const x of pick(step.value)) x.silenced = false;
        await Promise.all(pick(step.value).map((x) => x.send('heartbeat')));
        print(`${stamp()} resumed: ${names(step.value)}`);
        return;
      case 'brokerRestart': {
        const affected = [...sensors.values()].filter((x) => !x.dropped);
        print(
          `${stamp()} broker restart: ${affected.length} connection(s) cut, back after ${formatDuration(step.value.down)}`,
        );
        for (const x of affected) x.drop();
        await sleep(step.value.down, o.signal);
        await Promise.all(
          affected.map((x) =>
            x.connect().catch((err: Error) => problem(`${x.name}: reconnect failed: ${err.message}`)),
          ),
        );
        print(`${stamp()} broker restart: reconnected`);
        return;
      }
      case 'window': {
        const w = step.value;
        const target =
          w.household !== undefined
            ? { householdId: resolved.get(w.household)!.householdId }
            : { gridId: nodeIds.get(w.node!) };
        await o.api!.post(
          '/api/windows',
          { ...target, start: iso(w.from), end: iso(w.to), reason: w.reason, by: w.by },
          [200, 201],
        );
        print(
          `${stamp()} window for ${w.household ?? `node ${w.node}`} from ${formatDuration(w.from)} to ${formatDuration(w.to)} (${w.reason})`,
        );
        return;
      }
      case 'announce': {
        const a = step.value;
        const now = Date.now();
        await o.api!.post(
          a.path,
          {
            householdId: resolved.get(a.household)!.householdId,
            start: new Date(now).toISOString(),
            end: new Date(now + a.for).toISOString(),
            reason: a.reason,
          },
          [200, 201],
        );
        print(`${stamp()} opening announced for ${a.household} for ${formatDuration(a.for)} (${a.reason})`);
        return;
      }
      case 'api': {
        const c = step.value;
        const expect = c.expectStatus ? [c.expectStatus] : [200, 201, 204];
        await o.api!.request(
          c.method,
          String(template(c.path)),
          c.body === undefined ? undefined : template(c.body),
          expect,
        );
        print(`${stamp()} ${c.method} ${String(template(c.path))}`);
        return;
      }
    }
  }

  let stepsDone = false;
  const stepRunner = (async () => {
    for (const step of s.steps) {
      const wait = step.at - elapsed();
      if (wait > 0) await sleep(wait, o.signal);
      if (o.signal?.aborted) return;
      try {
        await perform(step);
      } catch (err) {
        problem(
          `step ${step.line + 1} (${step.action} at ${formatDuration(step.at)}) failed: ${(err as Error).message}`,
        );
      }
    }
  })().finally(() => {
    stepsDone = true;
  });

  let pollFailures = 0;
  const readFailed = (err: unknown) => {
    pollFailures += 1;
    if (pollFailures <= 3) problem(`reading the API failed: ${(err as Error).message}`);
  };
  while (!o.signal?.aborted) {
    const at = elapsed();
    if (o.api && tracker.wantsAlerts()) {
      try {
        tracker.observeAlerts(await openAlerts(o.api), at);
      } catch (err) {
        readFailed(err);
      }
    }
    for (const name of o.api ? new Set(tracker.pendingSeals()) : []) {
      try {
        const seal = await o.api!.get<ObservedSeal>(
          `/api/seals/${encodeURIComponent(resolved.get(name)!.sensorId)}`,
        );
        tracker.observeSeal(name, seal, at);
      } catch (err) {
        readFailed(err);
      }
    }
    tracker.tick(elapsed());
    o.progress?.(
      `scenario ${formatDuration(elapsed())} of up to ${formatDuration(s.lengthMs)} | ${tracker.pendingCount} of ${s.expect.length} expectation(s) pending`,
    );
    if (stepsDone && tracker.decided) break;
    if (elapsed() > s.lengthMs + 5 * pollMs + 5000) break;
    await sleep(pollMs, o.signal);
  }
  await stepRunner;
  for (const x of sensors.values()) x.drop();
  const results = tracker.results();
  return {
    name: s.name,
    runId,
    passed: results.every((r) => r.verdict === 'pass') && !o.signal?.aborted,
    interrupted: o.signal?.aborted === true,
    results,
    problems,
    elapsedMs: elapsed(),
  };
}
