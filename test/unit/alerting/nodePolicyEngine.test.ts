/**
 * The rules read the policy of the sensor's grid node (issue 16.4), and a policy change reaches open
 * alerts from their next step without losing one already due. The real Registry and SQLite alert
 * store on an in-memory database, the real bus, a moved clock; the notifier is a recording DOUBLE.
 */
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../alerting/alertModel.ts';
import { AlertEngine } from '../../../alerting/engine/alertEngine.ts';
import { NodePolicies } from '../../../alerting/engine/nodePolicies.ts';
import { dueEscalation, rescheduledEscalation } from '../../../alerting/escalation.ts';
import type { Notification, Notifier } from '../../../alerting/notifiers/types.ts';
import { ManualClock } from '../../../core/clock.ts';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';
import { initialSealState, type SealState } from '../../../core/sealState.ts';
import { gridPolicyBody } from '../../../registry/policy/policyFields.ts';
import { Registry } from '../../../registry/registry.ts';
import { SqliteAlertStore } from '../../../storage/sqlite/alertStore.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';

const T0 = Date.UTC(2026, 0, 10, 2, 0, 0);
const MIN = 60_000;
const logger = pino({ level: 'silent' });

class RecordingNotifierDouble implements Notifier {
  readonly sent: Notification[] = [];
  readonly channel = 'email' as const;
  async send(n: Notification) {
    this.sent.push(n);
    return { status: 'delivered' as const };
  }
  async close() {}
}

/** county › town › village (h1, s1) and town › village2 (h2, s2); a worker per village, leaders above. */
async function world() {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrateSqlite(db, logger);
  const clock = new ManualClock(T0);
  const bus = new EventBus<ServiceEvents>(logger);
  const registry = new Registry(new SqliteStore(db), bus, clock);
  await registry.load();
  await registry.createGridNode(
    { id: 'county', name: '县', parentId: null, level: 'county' },
    { name: 'test' },
  );
  await registry.createGridNode(
    { id: 'town', name: '镇', parentId: 'county', level: 'town' },
    { name: 'test' },
  );
  for (const [v, h, s, worker] of [
    ['village', 'h1', 's1', 'w'],
    ['village2', 'h2', 's2', 'w2'],
  ] as const) {
    await registry.createGridNode({ id: v, name: v, parentId: 'town', level: 'village' }, { name: 'test' });
    await registry.createWorker(
      {
        id: worker,
        name: worker,
        gridId: v,
        role: 'worker',
        email: `${worker}@x.org`,
      },
      { name: 'test' },
    );
    await registry.createHousehold({ id: h, gridId: v, address: `${v} 1 号` }, { name: 'test' });
    await registry.createQuarantine({ householdId: h, start: T0 - 24 * 60 * MIN }, { name: 'test' });
    await registry.createSensor({ id: s, householdId: h }, { name: 'test' });
  }
  await registry.createWorker(
    { id: 'lt', name: 'LT', gridId: 'town', role: 'leader', email: 'lt@x.org' },
    { name: 'test' },
  );
  await registry.createWorker(
    { id: 'lc', name: 'LC', gridId: 'county', role: 'leader', email: 'lc@x.org' },
    { name: 'test' },
  );
  const states = new Map<string, SealState>();
  const email = new RecordingNotifierDouble();
  const engine = new AlertEngine({
    registry,
    seals: { state: (id) => states.get(id), allStates: () => states.values() },
    store: new SqliteAlertStore(db),
    bus,
    telemetry: { append: () => {} },
    notifiers: [email],
    clock,
    logger,
    policy: DEFAULT_POLICY,
    escalateAfter: [5 * MIN, 15 * MIN], // the environment's steps
    tz: 'Asia/Shanghai',
    locale: 'en',
    publicUrl: 'https://sw.example.org',
    ackKey: Buffer.alloc(32, 7),
    sweepMs: 60 * 60_000, // the tests sweep themselves
  });
  /** What ingest does: update the state and tell the bus. */
  const deliver = (msg: SealMessage, householdId: string, gridId: string) => {
    const before = states.get(msg.sensorId) ?? initialSealState(msg.sensorId, msg.receivedAt);
    const after: SealState = {
      ...before,
      lastSeen: msg.receivedAt,
      online: true,
      messages: before.messages + 1,
    };
    if (msg.kind === 'door') {
      after.door = msg.door;
      after.lastDoorChange = msg.ts;
    }
    if (msg.kind === 'heartbeat') after.battery = msg.battery ?? null;
    states.set(msg.sensorId, after);
    bus.emit('seal.decide', { message: msg, before, after, householdId, gridId });
  };
  /** As the API does: the body checked by its schema, then the registry's command. */
  const setPolicy = async (gridId: string, body: unknown) => {
    await registry.setGridPolicy(gridId, gridPolicyBody.parse(body), { name: 'admin' });
    await settle();
  };
  return { db, clock, registry, engine, email, deliver, setPolicy };
}

const open = (sensorId: string, at: number, seq = 1): SealMessage => ({
  kind: 'door',
  sensorId,
  dialect: 'native',
  door: 'open',
  ts: at,
  receivedAt: at,
  seq,
});
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('rules read the policy of the sensor’s node', () => {
  let w: Awaited<ReturnType<typeof world>>;
  beforeEach(async () => {
    w = await world();
    await w.engine.start();
    await settle(); // the sweep every start runs at once has run (at T0)
  });
  afterEach(async () => {
    await w.engine.stop();
    w.db.close();
  });
  const alertOf = async (sensorId: string, type = 'breach') =>
    (await w.engine.listAlerts({})).find((a) => a.sensorId === sensorId && a.type === type);

  it('a village’s escalation steps apply to its breaches; the neighbouring village follows the environment', async () => {
    await w.setPolicy('village', { escalateAfter: ['2s', '1m'] });
    w.deliver(open('s1', T0), 'h1', 'village');
    w.deliver(open('s2', T0), 'h2', 'village2');
    expect(await alertOf('s1')).toMatchObject({ nextEscalationAt: T0 + 2_000 });
    expect(await alertOf('s2')).toMatchObject({ nextEscalationAt: T0 + 5 * MIN });
    w.clock.set(T0 + 2_000);
    await w.engine.sweep();
    expect(await alertOf('s1')).toMatchObject({ escalationLevel: 1, nextEscalationAt: T0 + MIN });
    expect(await alertOf('s2')).toMatchObject({ escalationLevel: 0 });
  });

  it('breach grace, battery threshold and opens per day come from the node (inherited from the town)', async () => {
    await w.setPolicy('town', { breachGrace: '30s', lowBatteryPercent: 40, opensPerDay: 1 });
    w.deliver(open('s1', T0), 'h1', 'village');
    expect(await alertOf('s1')).toBeUndefined(); // waiting for its grace
    w.clock.set(T0 + 30_000);
    await w.engine.sweep();
    expect(await alertOf('s1')).toMatchObject({ type: 'breach', status: 'open' });
    w.deliver(
      {
        kind: 'heartbeat',
        sensorId: 's2',
        dialect: 'native',
        ts: T0 + 31_000,
        receivedAt: T0 + 31_000,
        seq: 1,
        door: 'closed',
        battery: 35,
        rssi: -60,
      },
      'h2',
      'village2',
    );
    expect(await alertOf('s2', 'lowBattery')).toMatchObject({ detail: { threshold: 40 } });
    // Second open of the day in village2: over the town's limit of 1.
    w.deliver(open('s2', T0 + 40_000, 2), 'h2', 'village2');
    await w.engine.sweep();
    const openCount = (await w.engine.listAlerts({})).find((a) => a.type === 'openCount');
    expect(openCount).toBeUndefined(); // one open only so far
    w.deliver(
      { ...(open('s2', T0 + 50_000, 3) as Extract<SealMessage, { kind: 'door' }>), door: 'closed' },
      'h2',
      'village2',
    );
    w.deliver(open('s2', T0 + 60_000, 4), 'h2', 'village2');
    expect((await w.engine.listAlerts({})).find((a) => a.type === 'openCount')).toMatchObject({
      householdId: 'h2',
      detail: { limit: 1 },
    });
  });

  it('an announced opening lasts the announce span of the household’s node', async () => {
    expect(w.engine.announceMinutesOf('h1')).toBe(10);
    await w.setPolicy('village', { announceSpan: '15m' });
    expect(w.engine.announceMinutesOf('h1')).toBe(15);
    expect(w.engine.announceMinutesOf('h2')).toBe(10);
  });

  it('outage thresholds are read at the node that would raise the outage', async () => {
    await w.setPolicy('village', { outageMinSilent: 1, outageFraction: 1 });
    // Both seals silent since their registration (T0): village's one seal is an outage by its own
    // thresholds; village2 (defaults: at least 5 silent) is not, so its seal gets its own alert.
    w.clock.set(T0 + 10 * MIN);
    await w.engine.sweep();
    const open = await w.engine.listAlerts({ status: 'open' });
    expect(open.filter((a) => a.type === 'outage').map((a) => a.gridId)).toEqual(['village']);
    expect(open.filter((a) => a.type === 'offline').map((a) => a.sensorId)).toEqual(['s2']);
  });

  it('a shorter step set while an alert is open applies from its next step', async () => {
    w.deliver(open('s1', T0), 'h1', 'village');
    expect(await alertOf('s1')).toMatchObject({ nextEscalationAt: T0 + 5 * MIN });
    w.clock.set(T0 + 1 * MIN);
    await w.setPolicy('village', { escalateAfter: ['3m', '4m'] });
    expect(await alertOf('s1')).toMatchObject({ escalationLevel: 0, nextEscalationAt: T0 + 3 * MIN });
    w.clock.set(T0 + 3 * MIN);
    await w.engine.sweep();
    expect(await alertOf('s1')).toMatchObject({ escalationLevel: 1, nextEscalationAt: T0 + 4 * MIN });
    // Removed again: back to the environment's steps for the next one.
    await w.setPolicy('village', { escalateAfter: null });
    expect(await alertOf('s1')).toMatchObject({ escalationLevel: 1, nextEscalationAt: T0 + 15 * MIN });
  });

  it('an escalation already due when the steps grow longer is not lost', async () => {
    w.deliver(open('s1', T0), 'h1', 'village');
    w.clock.set(T0 + 6 * MIN); // the first step (5 min) is due, no sweep yet
    await w.setPolicy('town', { escalateAfter: ['10m', '20m'] });
    expect(await alertOf('s1')).toMatchObject({ escalationLevel: 0, nextEscalationAt: T0 + 5 * MIN });
    await w.engine.sweep();
    await settle();
    expect(await alertOf('s1')).toMatchObject({ escalationLevel: 1, nextEscalationAt: T0 + 20 * MIN });
    const breachId = (await alertOf('s1'))!.id;
    const about = w.email.sent.filter((n) => n.data.alertId === breachId); // not the seals' offline alerts
    expect(about.map((n) => n.recipient.id)).toEqual(['w', 'lt']);
  });

  it('a new deadline already in the past fires at the next sweep', async () => {
    w.deliver(open('s1', T0), 'h1', 'village');
    w.clock.set(T0 + 2 * MIN);
    await w.setPolicy('village', { escalateAfter: ['1m', '30m'] });
    // The deadline is now T0 + 1 min, in the past: the engine wakes its sweep (a timer of 50 ms),
    // or this one comes first; either way the next sweep escalates.
    await w.engine.sweep();
    expect(await alertOf('s1')).toMatchObject({ escalationLevel: 1, nextEscalationAt: T0 + 30 * MIN });
  });
});

describe('escalation deadlines under changed steps (plain values)', () => {
  const open = { status: 'open' as const, openedAt: 0, escalationLevel: 0 };
  const chain = [
    { level: 1, nodeId: 'town', recipients: [] },
    { level: 2, nodeId: 'county', recipients: [] },
  ];
  it('rescheduling keeps a passed deadline and counts a future one from the opening', () => {
    expect(rescheduledEscalation({ ...open, nextEscalationAt: 100 }, 2, [500, 900], 150)).toBe(100);
    expect(rescheduledEscalation({ ...open, nextEscalationAt: 300 }, 2, [50, 900], 150)).toBe(50);
    expect(
      rescheduledEscalation({ ...open, escalationLevel: 1, nextEscalationAt: 800 }, 2, [50, 400], 150),
    ).toBe(400);
    expect(rescheduledEscalation({ ...open }, 2, [50], 150)).toBeUndefined();
  });
  it('a stored deadline that has passed escalates one level even when the new steps say later', () => {
    expect(dueEscalation({ ...open, nextEscalationAt: 100 }, chain, [500, 900], 150)).toMatchObject({
      level: 1,
      nextEscalationAt: 900,
    });
    // Without a passed stored deadline, the steps alone decide (nothing due yet).
    expect(dueEscalation({ ...open, nextEscalationAt: 500 }, chain, [500, 900], 150)).toBeNull();
  });
});

describe('the low-battery threshold: a sensor model’s own wins over the node’s policy', () => {
  const policy = { lowBatteryPct: 20 };
  const models: Record<string, { lowBatteryPercent: number | null }> = {
    cr2032: { lowBatteryPercent: 35 },
    plain: { lowBatteryPercent: null },
  };
  const villageOverrides = Object.freeze({ lowBatteryPercent: 25 });
  const nodePolicies = (withModels: boolean) =>
    new NodePolicies({
      registry: {
        // The registry answers the same object until something changes (a new one each call would defeat the cache).
        policyOverrides: () => villageOverrides,
        ...(withModels ? { sensorModelOf: (id: string) => models[id] } : {}),
      },
      policy: { ...DEFAULT_POLICY, lowBatteryPct: 20 },
      escalateAfter: [],
    });

  it('a model that names a threshold decides; a model without one, or no model, leaves the node’s', () => {
    const p = nodePolicies(true);
    expect(p.lowBatteryThreshold('cr2032', policy)).toBe(35);
    expect(p.lowBatteryThreshold('plain', policy)).toBe(20);
    expect(p.lowBatteryThreshold('unknown', policy)).toBe(20);
    expect(nodePolicies(false).lowBatteryThreshold('cr2032', policy)).toBe(20);
  });

  it('the policy a message is judged by carries it, one object per node and threshold', () => {
    const p = nodePolicies(true);
    expect(p.forSensor('plain', 'v1').lowBatteryPct).toBe(25);
    const first = p.forSensor('cr2032', 'v1');
    expect(first.lowBatteryPct).toBe(35);
    expect(p.forSensor('cr2032', 'v1')).toBe(first);
  });
});
