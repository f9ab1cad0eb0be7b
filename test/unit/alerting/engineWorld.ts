/**
 * The engine's unit-test world: the real Registry and the real SQLite alert store on an in-memory
 * database (no files, no sockets), the real bus, a moved clock; the notifiers are a recording DOUBLE
 * (the channels themselves are tested against real servers in test/integration/alerting). Shared by
 * engine.test.ts and the other engine decision tests.
 */
import Database from 'better-sqlite3';
import pino from 'pino';
import { DEFAULT_POLICY, type Policy } from '../../../alerting/alertModel.ts';
import { AlertEngine, type AlertEngineOptions } from '../../../alerting/engine/alertEngine.ts';
import type { Notification, Notifier } from '../../../alerting/notifiers/types.ts';
import { ManualClock } from '../../../core/clock.ts';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';
import { initialSealState, type SealState } from '../../../core/sealState.ts';
import { Registry } from '../../../registry/registry.ts';
import { SqliteAlertStore } from '../../../storage/sqlite/alertStore.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';

export const T0 = Date.UTC(2026, 0, 10, 2, 0, 0);
export const MIN = 60_000;
export const logger = pino({ level: 'silent' });

/** Records what would have been sent; answers `delivered`. */
export class RecordingNotifierDouble implements Notifier {
  readonly sent: Notification[] = [];
  constructor(readonly channel: 'email' | 'webhook') {}
  async send(n: Notification) {
    this.sent.push(n);
    return { status: 'delivered' as const };
  }
  async close() {}
}

export interface World {
  db: Database.Database;
  clock: ManualClock;
  bus: EventBus<ServiceEvents>;
  registry: Registry;
  states: Map<string, SealState>;
  email: RecordingNotifierDouble;
  points: unknown[];
  changes: Array<{ change: string; alert: Record<string, unknown> }>;
}

export async function world(): Promise<World> {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrateSqlite(db, logger);
  const clock = new ManualClock(T0);
  const bus = new EventBus<ServiceEvents>(logger);
  const registry = new Registry(new SqliteStore(db), bus, clock);
  await registry.load();
  await registry.createGridNode({ id: 'county', name: '县', parentId: null, level: 'county' });
  await registry.createGridNode({ id: 'town', name: '镇', parentId: 'county', level: 'town' });
  await registry.createGridNode({ id: 'village', name: '村', parentId: 'town', level: 'village' });
  await registry.createWorker({ id: 'w', name: 'W', gridId: 'village', role: 'worker', email: 'w@x.org' });
  await registry.createWorker({ id: 'lt', name: 'LT', gridId: 'town', role: 'leader', email: 'lt@x.org' });
  await registry.createWorker({ id: 'lc', name: 'LC', gridId: 'county', role: 'leader', email: 'lc@x.org' });
  await registry.createHousehold({ id: 'h1', gridId: 'village', address: '三组 12 号' });
  await registry.createQuarantine({ householdId: 'h1', start: T0 - 24 * 60 * MIN });
  await registry.createSensor({ id: 's1', householdId: 'h1' });
  const w: World = {
    db,
    clock,
    bus,
    registry,
    states: new Map(),
    email: new RecordingNotifierDouble('email'),
    points: [],
    changes: [],
  };
  bus.on('alert.changed', (e) => w.changes.push({ change: e.change, alert: e.alert }));
  return w;
}

export function engineOf(
  w: World,
  policy: Partial<Policy> = {},
  limiter?: { limit: number; windowMs: number },
  extra: Partial<AlertEngineOptions> = {},
): AlertEngine {
  return new AlertEngine({
    ...extra,
    ...(limiter ? { limiter } : {}),
    registry: w.registry,
    seals: { state: (id) => w.states.get(id), allStates: () => w.states.values() },
    store: extra.store ?? new SqliteAlertStore(w.db),
    bus: w.bus,
    telemetry: { append: (p) => w.points.push(...p) },
    notifiers: [w.email],
    clock: w.clock,
    logger,
    policy: { ...DEFAULT_POLICY, ...policy },
    escalateAfter: [5 * MIN, 15 * MIN],
    tz: 'Asia/Shanghai',
    locale: 'en',
    publicUrl: 'https://sw.example.org',
    ackKey: Buffer.alloc(32, 7),
    sweepMs: 60 * 60_000, // the tests call sweep() themselves
  });
}

/** What ingest does: update the state and tell the bus. */
export function deliver(w: World, msg: SealMessage): void {
  const before = w.states.get(msg.sensorId) ?? initialSealState(msg.sensorId, msg.receivedAt);
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
  w.states.set(msg.sensorId, after);
  w.bus.emit('seal.decide', { message: msg, before, after, householdId: 'h1', gridId: 'village' });
}

export const open = (at: number, seq = 1): SealMessage => ({
  kind: 'door',
  sensorId: 's1',
  dialect: 'native',
  door: 'open',
  ts: at,
  receivedAt: at,
  seq,
});
export const heartbeat = (at: number, seq = 1): SealMessage => ({
  kind: 'heartbeat',
  sensorId: 's1',
  dialect: 'native',
  ts: at,
  receivedAt: at,
  seq,
  door: 'closed',
  battery: 90,
  rssi: -60,
});
export const settle = () => new Promise((r) => setTimeout(r, 20));
