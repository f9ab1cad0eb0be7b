/**
 * The store contract: one list of cases run against SQLite and PostgreSQL alike. Over 400 lines: the
 * cases are short and independent, and one file keeps the two engines' runs side by side.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../app/stores.ts';
import type { DoorEventRecord, SealState } from '../../../core/sealState.ts';
import { auditEntry } from '../../../registry/auditTrail.ts';
import type { GridNode, Household, Quarantine, Window, Worker } from '../../../registry/schemas.ts';
import type { GatewayRow, SensorRow, TokenRow } from '../../../registry/storedRecords.ts';
import type { UserRow } from '../../../registry/userSchemas.ts';
import { openPool } from '../../../storage/postgres/openPool.ts';
import { PostgresStore } from '../../../storage/postgres/postgresStore.ts';
import { STEPS } from '../../../storage/schema/steps.ts';
import { openDatabase } from '../../../storage/sqlite/openDatabase.ts';
import { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';

/**
 * The contract of the persistence ports (registry/registryStore.ts, ingest/ingestStore.ts), run
 * against every implementation: SQLite (a new file per test) and a real PostgreSQL (one database,
 * emptied per test). A behaviour that differs between them is a bug in one of them.
 */

const logger = pino({ level: 'silent' });
const gatewayAudit = (id: string) =>
  auditEntry(
    T,
    { name: 'contract test' },
    { entity: 'gateway', entityId: id, action: 'create', gridId: null },
    null,
    null,
  );
/** Epoch ms well beyond 2^31: a time that would not survive a 32-bit column or a string. */
const T = Date.parse('2026-03-01T08:00:00Z');
const HOUR = 3_600_000;
/** A purge with no audit entries to append and no deleted households past the cutoff. */
const noTrail = { audit: [], deletedBefore: 0 };

interface Backend {
  open(): Promise<Store>;
  close(): Promise<void>;
}

let postgres: Promise<PostgresServer> | null = null;
/** One server for the whole file, started on first use. */
const sharedPostgres = (): Promise<PostgresServer> => {
  postgres ??= startPostgres();
  return postgres;
};
let databases = 0;
/** A fresh, migrated database on the shared server. */
const freshPostgresUrl = async (): Promise<string> =>
  (await sharedPostgres()).createDatabase(`contract_${++databases}`);

afterAll(async () => {
  await (await postgres)?.close();
});

const BACKENDS: { name: string; start(): Promise<Backend> }[] = [
  {
    name: 'SQLite',
    async start() {
      const dir = mkdtempSync(join(tmpdir(), 'sealwatch-store-contract-'));
      let files = 0;
      return {
        open: async () => new SqliteStore(openDatabase(join(dir, `${++files}.db`), logger)),
        close: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    async start() {
      // One migrated database, emptied before each test: creating a database per test costs ~0.3 s.
      const url = await freshPostgresUrl();
      return {
        open: async () => {
          const pool = await openPool(url, logger, { max: 4 });
          await pool.query(`DO $$ BEGIN
            EXECUTE (SELECT 'TRUNCATE ' || string_agg(quote_ident(tablename), ', ') || ' RESTART IDENTITY CASCADE'
              FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations');
          END $$`);
          return new PostgresStore(pool);
        },
        close: async () => {},
      };
    },
  },
];

// ---- records

const grid = (id: string, parentId: string | null = null, createdAt = T): GridNode => ({
  id,
  name: `节点 ${id}`,
  parentId,
  level: parentId ? 'village' : 'county',
  createdAt,
});
const worker = (id: string, gridId = 'g'): Worker => ({
  id,
  name: `网格员 ${id}`,
  gridId,
  role: 'worker',
  email: `${id}@example.org`,
  phone: null,
  webhook: 'https://example.org/hook',
  chatUserId: `ou_${id}`,
  createdAt: T,
});
const household = (id: string, gridId = 'g'): Household => ({
  id,
  gridId,
  address: `东村三组 ${id} 号`,
  contact: '张三 13800000000',
  createdAt: T,
  purgedAt: null,
});
const sensor = (id: string, householdId = 'h1', friendlyName: string | null = null): SensorRow => ({
  id,
  householdId,
  model: 'native',
  friendlyName,
  commissioningUntil: null,
  createdAt: T,
  secretHash: `scrypt$${id}`,
});
const quarantine = (id: string, householdId = 'h1', start = T, end: number | null = null): Quarantine => ({
  id,
  householdId,
  start,
  end,
  createdAt: T,
});
const householdWindow = (id: string, householdId: string, start = T): Window => ({
  id,
  gridId: null,
  householdId,
  start,
  end: start + HOUR,
  reason: '就医',
  by: 'worker w1',
  createdAt: T,
});
const gridWindow = (id: string, gridId: string, start = T): Window => ({
  ...householdWindow(id, 'x', start),
  gridId,
  householdId: null,
});
const tokenRow = (id: string, role: TokenRow['role'], gridId: string | null = null): TokenRow => ({
  id,
  name: `token ${id}`,
  role,
  gridId,
  tokenHash: `hash-${id}`,
  createdAt: T,
  revokedAt: null,
  expiresAt: null,
});
const tokenRecordOf = (id: string, role: TokenRow['role'], gridId: string | null = null) => {
  const { tokenHash: _, ...record } = tokenRow(id, role, gridId);
  return record;
};
const state = (sensorId: string, patch: Partial<SealState> = {}): SealState => ({
  sensorId,
  door: 'closed',
  online: true,
  battery: 87.5,
  rssi: -71,
  tamper: false,
  lastSeen: T,
  lastDoorChange: T - HOUR,
  doorObservedAt: T,
  recentSeqs: [4_294_967_295, 1, 2],
  messages: 3,
  updatedAt: T,
  ...patch,
});
const doorEvent = (sensorId: string, ts: number, patch: Partial<DoorEventRecord> = {}): DoorEventRecord => ({
  sensorId,
  householdId: 'h1',
  type: 'open',
  ts,
  receivedAt: ts + 40,
  seq: 7,
  dialect: 'native',
  ...patch,
});

describe.each(BACKENDS)('Store contract: $name', (backend) => {
  let started: Backend;
  let store: Store;

  beforeAll(async () => {
    started = await backend.start();
  });
  afterAll(async () => started?.close());
  beforeEach(async () => {
    store = await started.open();
  });
  afterEach(async () => store?.close());

  /** g (county) › g2 (village), one worker, households h1 and h2, sensors s1 (h1) and s2 (h2). */
  const seed = async (): Promise<void> => {
    await store.insertGridNode(grid('g'));
    await store.insertGridNode(grid('g2', 'g', T + 1));
    await store.insertWorker(worker('w1'));
    await store.insertHousehold(household('h1'));
    await store.insertHousehold(household('h2', 'g2'));
    await store.insertSensor(sensor('s1', 'h1', 'zb-door-1'));
    await store.insertSensor(sensor('s2', 'h2'));
  };

  it('a new store loads an empty registry, no seal states and no tokens', async () => {
    expect(await store.loadRegistry()).toEqual({
      grid: [],
      workers: [],
      households: [],
      sensors: [],
      gateways: [],
      quarantines: [],
      windows: [],
      policies: [],
      platformApps: [],
      models: [],
      rosters: [],
      absences: [],
    });
    expect(await store.loadSealStates()).toEqual([]);
    expect(await store.countTokens()).toBe(0);
  });

  it('single inserts come back from loadRegistry as written, in the documented order', async () => {
    // Grid by creation time then id; workers, households, sensors, gateways by id (bytewise:
    // 'B' < 'a'); quarantines and windows by start.
    await store.insertGridNode(grid('z', null, T));
    await store.insertGridNode(grid('g', 'z', T + 5));
    await store.insertGridNode(grid('a', 'z', T + 5));
    await store.insertWorker(worker('w-b', 'g'));
    await store.insertWorker({ ...worker('w-a', 'a'), role: 'technician', email: null, webhook: null });
    await store.insertHousehold(household('h1'));
    await store.insertHousehold({ ...household('B', 'a'), contact: null });
    await store.insertSensor(sensor('s1', 'h1', 'zb-door-1'));
    await store.insertSensor(sensor('S0', 'B'));
    await store.insertGateway(
      {
        id: 'gw2',
        name: '网关',
        secretHash: 'scrypt$gw2',
        createdAt: T,
        sensorIds: [],
      },
      gatewayAudit('gw2'),
    );
    const gateway: GatewayRow = {
      id: 'gw1',
      name: 'Zigbee 网关',
      secretHash: 'scrypt$gw1',
      createdAt: T + 1,
      sensorIds: ['s1'],
    };
    await store.insertGateway(gateway, gatewayAudit(gateway.id));
    await store.insertQuarantine(quarantine('q2', 'B', T + 2 * HOUR, T + 14 * 24 * HOUR));
    await store.insertQuarantine(quarantine('q1', 'h1', T));
    await store.insertWindow(householdWindow('win2', 'h1', T + HOUR));
    await store.insertWindow(gridWindow('win1', 'g', T));

    const snap = await store.loadRegistry();
    expect(snap.grid).toEqual([grid('z', null, T), grid('a', 'z', T + 5), grid('g', 'z', T + 5)]);
    expect(snap.workers).toEqual([
      { ...worker('w-a', 'a'), role: 'technician', email: null, webhook: null },
      worker('w-b', 'g'),
    ]);
    expect(snap.households).toEqual([{ ...household('B', 'a'), contact: null }, household('h1')]);
    expect(snap.sensors).toEqual([sensor('S0', 'B'), sensor('s1', 'h1', 'zb-door-1')]);
    expect(snap.gateways).toEqual([
      gateway,
      { id: 'gw2', name: '网关', secretHash: 'scrypt$gw2', createdAt: T, sensorIds: [] },
    ]);
    expect(snap.quarantines).toEqual([
      quarantine('q1', 'h1', T),
      quarantine('q2', 'B', T + 2 * HOUR, T + 14 * 24 * HOUR),
    ]);
    expect(snap.windows).toEqual([gridWindow('win1', 'g', T), householdWindow('win2', 'h1', T + HOUR)]);
    expect(typeof snap.grid[0]?.createdAt).toBe('number');
  });

  it('platform applications: insert and delete with their audit entry; loaded by id (bytewise) with token, list and map; a refused write keeps no entry', async () => {
    const app = (id: string, platform: 'ctwing' | 'onenet') => ({
      id,
      platform,
      name: `应用 ${id}`,
      token: `token-${id}`,
      sensorIds: ['s1', 's2'],
      devices: { '1061234': 's2' },
      createdAt: T,
    });
    const audit = (id: string, action: string) =>
      auditEntry(
        T,
        { name: 'contract test' },
        { entity: 'platformApp', entityId: id, action, gridId: null },
        null,
        null,
      );
    const entries = async () =>
      (await store.auditPage({ entity: 'platformApp', limit: 10, offset: 0 })).total;
    await store.insertPlatformApp(app('on', 'onenet'), audit('on', 'create'));
    await store.insertPlatformApp(app('B-ct', 'ctwing'), audit('B-ct', 'create'));
    expect((await store.loadRegistry()).platformApps).toEqual([app('B-ct', 'ctwing'), app('on', 'onenet')]);
    await expect(store.insertPlatformApp(app('on', 'onenet'), audit('on', 'create'))).rejects.toThrow();
    await expect(
      store.insertPlatformApp(
        { ...app('x', 'onenet'), platform: 'huawei' as 'onenet' },
        audit('x', 'create'),
      ),
    ).rejects.toThrow();
    expect(await entries()).toBe(2);
    await store.deletePlatformApp('on', audit('on', 'delete'));
    expect((await store.loadRegistry()).platformApps).toEqual([app('B-ct', 'ctwing')]);
    expect(await entries()).toBe(3);
  });

  it('rosters and absences: insert and delete with their audit entry, loaded by start; a refused write keeps no entry', async () => {
    const roster = (id: string, start: number) => ({
      id,
      gridId: 'g',
      workerId: 'w1',
      start,
      end: start + 8 * 3_600_000,
      createdAt: T,
    });
    const absence = { id: 'a1', workerId: 'w1', substituteId: 'w2', start: T, end: T + 1, createdAt: T };
    const audit = (entity: string, id: string, action: string) =>
      auditEntry(T, { name: 'contract test' }, { entity, entityId: id, action, gridId: 'g' }, null, null);
    const entries = async (entity: string) => (await store.auditPage({ entity, limit: 10, offset: 0 })).total;
    await store.insertRoster(roster('r2', T + 10), audit('roster', 'r2', 'create'));
    await store.insertRoster(roster('r1', T), audit('roster', 'r1', 'create'));
    await store.insertAbsence(absence, audit('absence', 'a1', 'create'));
    const snap = await store.loadRegistry();
    expect(snap.rosters).toEqual([roster('r1', T), roster('r2', T + 10)]);
    expect(snap.absences).toEqual([absence]);
    // An end not after the start, a worker as their own substitute, a duplicate id: refused, no entry.
    await expect(
      store.insertRoster({ ...roster('r3', T), end: T }, audit('roster', 'r3', 'create')),
    ).rejects.toThrow();
    await expect(
      store.insertAbsence({ ...absence, id: 'a2', substituteId: 'w1' }, audit('absence', 'a2', 'create')),
    ).rejects.toThrow();
    await expect(store.insertRoster(roster('r1', T), audit('roster', 'r1', 'create'))).rejects.toThrow();
    expect(await entries('roster')).toBe(2);
    expect(await entries('absence')).toBe(1);
    await store.deleteRoster('r1', audit('roster', 'r1', 'delete'));
    await store.deleteAbsence('a1', audit('absence', 'a1', 'delete'));
    const after = await store.loadRegistry();
    expect(after.rosters?.map((r) => r.id)).toEqual(['r2']);
    expect(after.absences).toEqual([]);
    expect(await entries('roster')).toBe(3);
  });

  it('the database refuses duplicate ids, unknown references and invalid values, and keeps nothing of them', async () => {
    await seed();
    await expect(store.insertGridNode(grid('g'))).rejects.toThrow();
    await expect(store.insertGridNode(grid('orphan', 'no-such-node'))).rejects.toThrow();
    await expect(store.insertWorker(worker('w9', 'no-such-node'))).rejects.toThrow();
    await expect(
      store.insertWorker({ ...worker('w9'), role: 'boss' as unknown as Worker['role'] }),
    ).rejects.toThrow();
    await expect(store.insertHousehold(household('h9', 'no-such-node'))).rejects.toThrow();
    await expect(store.insertSensor(sensor('s9', 'no-such-household'))).rejects.toThrow();
    await expect(store.insertSensor(sensor('s9', 'h1', 'zb-door-1'))).rejects.toThrow(); // friendly name taken
    await expect(store.insertQuarantine(quarantine('q9', 'h1', T, T))).rejects.toThrow(); // end ≤ start
    await expect(
      store.insertWindow({ ...householdWindow('win9', 'h1'), gridId: 'g' }), // both scopes
    ).rejects.toThrow();
    // A gateway with an unknown member: neither the gateway nor its known members are written.
    await expect(
      store.insertGateway(
        { id: 'gw', name: 'gw', secretHash: 'x', createdAt: T, sensorIds: ['s1', 'nope'] },
        gatewayAudit('gw'),
      ),
    ).rejects.toThrow();
    await store.insertToken(tokenRow('t1', 'admin'));
    await expect(store.insertToken({ ...tokenRow('t2', 'admin'), tokenHash: 'hash-t1' })).rejects.toThrow();
    await expect(store.insertToken(tokenRow('t3', 'monitor', 'no-such-node'))).rejects.toThrow();

    const snap = await store.loadRegistry();
    expect(snap.grid.map((n) => n.id)).toEqual(['g', 'g2']);
    expect(snap.workers.map((w) => w.id)).toEqual(['w1']);
    expect(snap.households.map((h) => h.id)).toEqual(['h1', 'h2']);
    expect(snap.sensors.map((s) => s.id)).toEqual(['s1', 's2']);
    expect(snap.gateways).toEqual([]);
    expect(snap.quarantines).toEqual([]);
    expect(snap.windows).toEqual([]);
    expect(await store.countTokens()).toBe(1);
    // The refused gateway left no audit entry either: the two are one transaction.
    expect((await store.auditPage({ limit: 10, offset: 0 })).total).toBe(0);
  });

  it('gateway update, secret and delete write with their audit entries; the trail reads newest first, filtered', async () => {
    await seed();
    const gw = { id: 'gw', name: 'gw', secretHash: 'h-old', createdAt: T, sensorIds: ['s1'] };
    await store.insertGateway(gw, gatewayAudit('gw'));
    const entry = (
      action: string,
      at: number,
      actor = 'admin-token',
      before: unknown = null,
      after: unknown = null,
    ) =>
      auditEntry(
        at,
        { name: actor },
        { entity: 'gateway', entityId: 'gw', action, gridId: action === 'delete' ? null : 'g' },
        before,
        after,
      );
    await store.updateGateway(
      { ...gw, name: 'gw 2', sensorIds: ['s2'] },
      entry('update', T + 1, 'ops', { sensorIds: ['s1'] }, { sensorIds: ['s2'] }),
    );
    await store.setGatewaySecretHash('gw', 'h-new', entry('replaceSecret', T + 2));
    let snap = await store.loadRegistry();
    expect(snap.gateways).toEqual([{ ...gw, name: 'gw 2', sensorIds: ['s2'], secretHash: 'h-new' }]);
    // A membership naming an unknown sensor is refused with its audit entry.
    await expect(
      store.updateGateway({ ...gw, sensorIds: ['nope'] }, entry('update', T + 3)),
    ).rejects.toThrow();
    await store.deleteGateway('gw', entry('delete', T + 4));
    snap = await store.loadRegistry();
    expect(snap.gateways).toEqual([]);
    expect(snap.sensors.map((s) => s.id).sort()).toEqual(['s1', 's2']);

    const all = await store.auditPage({ limit: 10, offset: 0 });
    expect(all.total).toBe(4);
    expect(all.items.map((e) => e.action)).toEqual(['delete', 'replaceSecret', 'update', 'create']);
    expect(all.items[2]).toMatchObject({
      actor: 'ops',
      entity: 'gateway',
      entityId: 'gw',
      at: T + 1,
      before: { sensorIds: ['s1'] },
      after: { sensorIds: ['s2'] },
    });
    expect(all.items[0]?.seq).toBeGreaterThan(all.items[1]?.seq ?? Infinity);
    const byActor = await store.auditPage({ actor: 'ops', limit: 10, offset: 0 });
    expect(byActor.items.map((e) => e.action)).toEqual(['update']);
    const window = await store.auditPage({ from: T + 1, to: T + 4, limit: 10, offset: 0 });
    expect(window.items.map((e) => e.action)).toEqual(['replaceSecret', 'update']);
    const page = await store.auditPage({ entity: 'gateway', entityId: 'gw', limit: 1, offset: 1 });
    expect(page).toMatchObject({ total: 4, items: [{ action: 'replaceSecret' }] });
    expect(await store.auditPage({ entity: 'sensor', limit: 10, offset: 0 })).toEqual({
      items: [],
      total: 0,
    });
  });

  it('importRecords writes every kind of record in one go', async () => {
    await store.importRecords({
      grid: [grid('g'), grid('g2', 'g', T + 1)],
      workers: [worker('w1'), worker('w2', 'g2')],
      households: [household('h1'), household('h2', 'g2')],
      sensors: [sensor('s1', 'h1', 'zb-door-1'), sensor('s2', 'h2')],
      quarantines: [quarantine('q1', 'h1'), quarantine('q2', 'h2', T + HOUR, T + 2 * HOUR)],
      windows: [householdWindow('win1', 'h1'), gridWindow('win2', 'g2', T + HOUR)],
    });
    await store.importRecords({ households: [household('h3')] }); // tables not given are left alone
    await store.importRecords({});
    const snap = await store.loadRegistry();
    expect(snap.grid).toEqual([grid('g'), grid('g2', 'g', T + 1)]);
    expect(snap.workers).toEqual([worker('w1'), worker('w2', 'g2')]);
    expect(snap.households).toEqual([household('h1'), household('h2', 'g2'), household('h3')]);
    expect(snap.sensors).toEqual([sensor('s1', 'h1', 'zb-door-1'), sensor('s2', 'h2')]);
    expect(snap.quarantines).toEqual([
      quarantine('q1', 'h1'),
      quarantine('q2', 'h2', T + HOUR, T + 2 * HOUR),
    ]);
    expect(snap.windows).toEqual([householdWindow('win1', 'h1'), gridWindow('win2', 'g2', T + HOUR)]);
  });

  it('importRecords is all or nothing: a duplicate id or an invalid row in the last table writes nothing', async () => {
    await seed();
    const before = await store.loadRegistry();
    const valid = {
      grid: [grid('new-g', 'g')],
      workers: [worker('new-w', 'new-g')],
      households: [household('new-h', 'new-g')],
      sensors: [sensor('new-s', 'new-h')],
      quarantines: [quarantine('new-q', 'new-h')],
    };
    // A window whose id appears twice in the import.
    await expect(
      store.importRecords({
        ...valid,
        windows: [householdWindow('dup', 'new-h'), householdWindow('dup', 'new-h', T + HOUR)],
      }),
    ).rejects.toThrow();
    // A household id that already exists.
    await expect(store.importRecords({ ...valid, households: [household('h1')] })).rejects.toThrow();
    // A quarantine that ends before it starts.
    await expect(
      store.importRecords({ ...valid, quarantines: [quarantine('new-q', 'new-h', T, T - 1)] }),
    ).rejects.toThrow();
    expect(await store.loadRegistry()).toEqual(before);
    // The store is still usable after the failed transactions.
    await store.importRecords(valid);
    expect((await store.loadRegistry()).sensors.map((s) => s.id)).toEqual(['new-s', 's1', 's2']);
  });

  it('grid policies: written in one go, replaced whole, removed, and gone with their node', async () => {
    await seed();
    const county = {
      gridId: 'g',
      fields: { escalateAfter: [2_000, 60_000], breachGrace: 0 },
      updatedAt: T,
      updatedBy: 'admin',
    };
    const village = { gridId: 'g2', fields: { outageFraction: 0.75 }, updatedAt: T + 1, updatedBy: 'leader' };
    const entry = (gridId: string, after: unknown) => ({
      at: T,
      actor: 'admin',
      entity: 'policy',
      entityId: gridId,
      action: 'update',
      gridId,
      before: null,
      after,
    });
    await store.writeGridPolicies(
      [county, village],
      [],
      [entry('g', { breachGrace: '0s' }), entry('g2', null)],
    );
    expect((await store.loadRegistry()).policies).toEqual([county, village]);
    const trail = await store.auditPage({ entity: 'policy', limit: 10, offset: 0 });
    expect(trail.items.map((r) => [r.entityId, r.after])).toEqual([
      ['g2', null],
      ['g', { breachGrace: '0s' }],
    ]);
    const replaced = { ...village, fields: { opensPerDay: 8 }, updatedAt: T + 2 };
    await store.writeGridPolicies([replaced], ['g'], []);
    expect((await store.loadRegistry()).policies).toEqual([replaced]);
    // A node that did not exist refuses the whole write: nothing of it is kept.
    await expect(
      store.writeGridPolicies([county, { ...village, gridId: 'nowhere' }], [], [entry('nowhere', null)]),
    ).rejects.toThrow();
    expect((await store.loadRegistry()).policies).toEqual([replaced]);
    expect((await store.auditPage({ entity: 'policy', limit: 10, offset: 0 })).total).toBe(2);
    await store.deleteSensor('s2');
    await store.deleteHousehold('h2');
    await store.deleteGridNode('g2');
    expect((await store.loadRegistry()).policies).toEqual([]);
  });

  it('setQuarantineEnd, deleteWindow and setCommissioning change just their record', async () => {
    await seed();
    await store.insertQuarantine(quarantine('q1', 'h1'));
    await store.insertQuarantine(quarantine('q2', 'h2', T + 1));
    await store.insertWindow(householdWindow('win1', 'h1'));
    await store.insertWindow(householdWindow('win2', 'h2', T + HOUR));
    await store.setQuarantineEnd('q1', T + 14 * 24 * HOUR);
    await store.deleteWindow('win1');
    await store.deleteWindow('no-such-window');
    await store.setCommissioning('s1', T + HOUR);
    let snap = await store.loadRegistry();
    expect(snap.quarantines).toEqual([
      quarantine('q1', 'h1', T, T + 14 * 24 * HOUR),
      quarantine('q2', 'h2', T + 1),
    ]);
    expect(snap.windows).toEqual([householdWindow('win2', 'h2', T + HOUR)]);
    expect(snap.sensors.map((s) => s.commissioningUntil)).toEqual([T + HOUR, null]);
    await expect(store.setQuarantineEnd('q2', T - 1)).rejects.toThrow(); // end ≤ start
    await store.setCommissioning('s1', null);
    snap = await store.loadRegistry();
    expect(snap.sensors.map((s) => s.commissioningUntil)).toEqual([null, null]);
    expect(snap.quarantines[1]?.end).toBeNull();
  });

  it('updates replace the record but its id; deletes of grid nodes and workers follow the foreign keys', async () => {
    await seed();
    await store.insertToken(tokenRow('t1', 'worker', 'g2'));
    await store.updateGridNode({ ...grid('g2', null, T + 1), name: '东村', level: '村' });
    await store.updateWorker({ ...worker('w1', 'g2'), role: 'leader', email: null, phone: '+86 138 0000' });
    await store.updateHousehold({ ...household('h1', 'g2'), address: '西村 1 号', contact: null });
    await store.updateSensor({ ...sensor('s1', 'h1', null), model: 'shelly-dw2' });
    await store.updateSensor({ ...sensor('s2', 'h2', 'zb-door-1') }); // the name s1 gave up
    const snap = await store.loadRegistry();
    expect(snap.grid[1]).toEqual({ ...grid('g2', null, T + 1), name: '东村', level: '村' });
    expect(snap.workers).toEqual([
      { ...worker('w1', 'g2'), role: 'leader', email: null, phone: '+86 138 0000' },
    ]);
    expect(snap.households[0]).toEqual({ ...household('h1', 'g2'), address: '西村 1 号', contact: null });
    expect(snap.sensors).toEqual([
      { ...sensor('s1', 'h1', null), model: 'shelly-dw2' },
      sensor('s2', 'h2', 'zb-door-1'),
    ]);
    await expect(store.updateGridNode(grid('g2', 'no-such-node'))).rejects.toThrow();

    // A node that still has households, workers or tokens is refused by the database too.
    await expect(store.deleteGridNode('g2')).rejects.toThrow();
    expect(await store.countTokensAt('g2')).toBe(1);
    await store.deleteWorker('w1');
    await store.insertGridNode(grid('empty', 'g', T + 9));
    await store.deleteGridNode('empty');
    expect((await store.loadRegistry()).grid.map((n) => n.id)).toEqual(['g', 'g2']);
    expect((await store.loadRegistry()).workers).toEqual([]);
  });

  it('upsertSensorModel inserts, then replaces, each with its audit entry; fractional beats and a null threshold round-trip', async () => {
    const model = {
      id: 'shelly-dw2',
      name: 'Shelly',
      heartbeatIntervalMs: 43_200_000,
      missedHeartbeats: 1.2,
      lowBatteryPercent: null,
      heartbeatCarriesDoor: false,
      builtIn: false,
    };
    const audit = (at: number, id: string, action: string) => ({
      at,
      actor: 'admin',
      entity: 'sensorModel',
      entityId: id,
      action,
      gridId: null,
      before: null,
      after: { id },
    });
    await store.upsertSensorModel(model, audit(T, 'shelly-dw2', 'update'));
    const own = { ...model, id: 'own', missedHeartbeats: 25 / 24, lowBatteryPercent: 15 };
    await store.upsertSensorModel(own, audit(T, 'own', 'create'));
    const edited = { ...model, heartbeatIntervalMs: 3_600_000, heartbeatCarriesDoor: true };
    await store.upsertSensorModel(edited, audit(T + 1, 'shelly-dw2', 'update'));
    expect((await store.loadRegistry()).models).toEqual([own, edited]);
    const trail = await store.auditPage({ entity: 'sensorModel', limit: 10, offset: 0 });
    expect(trail.items.map((e) => [e.entityId, e.action, e.at])).toEqual([
      ['shelly-dw2', 'update', T + 1],
      ['own', 'create', T],
      ['shelly-dw2', 'update', T],
    ]);
  });

  it('updateGridNode refuses a node under itself or its descendant, and of two opposite moves at once, one', async () => {
    await seed();
    await expect(store.updateGridNode(grid('g', 'g2'))).rejects.toThrow(/cannot move under itself/);
    await expect(store.updateGridNode(grid('g2', 'g2', T + 1))).rejects.toThrow(/cannot move under itself/);
    // As two instances sharing the database would: each checked its own tree, which had no cycle.
    await store.insertGridNode(grid('a', null, T + 2));
    await store.insertGridNode(grid('b', null, T + 3));
    const moves = await Promise.allSettled([
      store.updateGridNode(grid('a', 'b', T + 2)),
      store.updateGridNode(grid('b', 'a', T + 3)),
    ]);
    expect(moves.map((m) => m.status).sort()).toEqual(['fulfilled', 'rejected']);
    const parents = Object.fromEntries((await store.loadRegistry()).grid.map((n) => [n.id, n.parentId]));
    expect([parents.a, parents.b].filter((p) => p === null)).toHaveLength(1);
    expect(parents).toMatchObject({ g: null, g2: 'g' });
  });

  it('deleteHousehold removes its quarantines, windows and door history in one go and counts the events', async () => {
    await seed();
    await store.insertQuarantine(quarantine('q1', 'h1'));
    await store.insertWindow(householdWindow('win1', 'h1'));
    await store.insertHousehold(household('h3'));
    await store.insertQuarantine(quarantine('q3', 'h3'));
    await store.insertWindow(householdWindow('win3', 'h3'));
    await store.commitIngest({
      states: [],
      doorEvents: [
        doorEvent('s-old', T, { householdId: 'h3' }),
        doorEvent('s-old', T + 1, { householdId: 'h3' }),
        doorEvent('s1', T),
      ],
    });
    // A household with a sensor is refused (foreign key) and keeps everything.
    await expect(store.deleteHousehold('h1')).rejects.toThrow();
    expect(await store.doorHistory('s1', 10)).toHaveLength(1);
    expect(await store.deleteHousehold('h3')).toEqual({ doorEvents: 2 });
    const snap = await store.loadRegistry();
    expect(snap.households.map((h) => h.id)).toEqual(['h1', 'h2']);
    expect(snap.quarantines.map((q) => q.id)).toEqual(['q1']);
    expect(snap.windows.map((w) => w.id)).toEqual(['win1']);
    expect(await store.doorHistory('s-old', 10)).toEqual([]);
  });

  it('deleteSensor removes the sensor, its live state and gateway memberships; door history stays', async () => {
    await seed();
    await store.insertGateway(
      {
        id: 'gw',
        name: 'gw',
        secretHash: 'x',
        createdAt: T,
        sensorIds: ['s1', 's2'],
      },
      gatewayAudit('gw'),
    );
    await store.commitIngest({ states: [state('s1'), state('s2')], doorEvents: [doorEvent('s1', T)] });
    await store.deleteSensor('s1');
    const snap = await store.loadRegistry();
    expect(snap.sensors.map((s) => s.id)).toEqual(['s2']);
    expect(snap.gateways[0]?.sensorIds).toEqual(['s2']);
    expect((await store.loadSealStates()).map((s) => s.sensorId)).toEqual(['s2']);
    expect(await store.doorHistory('s1', 10)).toEqual([doorEvent('s1', T)]);
    // Its friendly name is free again.
    await store.insertSensor(sensor('s3', 'h1', 'zb-door-1'));
  });

  it('replaceSensor: the new sensor takes the door, name and gateways, the old one goes, history and audit stay; all or nothing', async () => {
    await seed();
    await store.insertGateway(
      { id: 'gw', name: 'gw', secretHash: 'x', createdAt: T, sensorIds: ['s1', 's2'] },
      gatewayAudit('gw'),
    );
    await store.commitIngest({ states: [state('s1'), state('s2')], doorEvents: [doorEvent('s1', T)] });
    const replaceAudit = (entityId: string, action: string) =>
      auditEntry(T + 1, { name: 'tech' }, { entity: 'sensor', entityId, action, gridId: 'g' }, null, null);

    // The new id is taken: refused, and nothing of the replacement is left (the old name included).
    await expect(
      store.replaceSensor('s1', sensor('s2', 'h1', 'zb-door-1'), [replaceAudit('s1', 'replace')]),
    ).rejects.toThrow();
    let snap = await store.loadRegistry();
    expect(snap.sensors.map((x) => [x.id, x.friendlyName])).toEqual([
      ['s1', 'zb-door-1'],
      ['s2', null],
    ]);
    expect(snap.gateways[0]?.sensorIds.sort()).toEqual(['s1', 's2']);
    expect((await store.auditPage({ entity: 'sensor', limit: 10, offset: 0 })).total).toBe(0);

    await store.replaceSensor('s1', { ...sensor('s9', 'h1', 'zb-door-1'), createdAt: T + 1 }, [
      replaceAudit('s1', 'replace'),
      replaceAudit('s9', 'replaces'),
    ]);
    snap = await store.loadRegistry();
    expect(snap.sensors.map((x) => [x.id, x.householdId, x.friendlyName])).toEqual([
      ['s2', 'h2', null],
      ['s9', 'h1', 'zb-door-1'],
    ]);
    expect(snap.gateways[0]?.sensorIds.sort()).toEqual(['s2', 's9']);
    expect((await store.loadSealStates()).map((x) => x.sensorId)).toEqual(['s2']);
    const trail = await store.auditPage({ entity: 'sensor', limit: 10, offset: 0 });
    expect(trail.items.map((e) => `${e.entityId}:${e.action}`)).toEqual(['s9:replaces', 's1:replace']);

    // The household's history runs across both sensors, newest first.
    await store.commitIngest({
      states: [state('s9')],
      doorEvents: [doorEvent('s9', T + 5, { type: 'close' })],
    });
    expect((await store.householdDoorHistory('h1', 10)).map((e) => `${e.sensorId}:${e.type}`)).toEqual([
      's9:close',
      's1:open',
    ]);
    expect(await store.householdDoorHistory('h2', 10)).toEqual([]);
  });

  it('upgradeSecretHashes: compare and set per row, sensors and gateways, in one call', async () => {
    await seed();
    await store.insertGateway(
      { id: 'gw', name: 'gw', secretHash: 'scrypt$gw', createdAt: T, sensorIds: [] },
      gatewayAudit('gw'),
    );
    const made = await store.upgradeSecretHashes([
      { kind: 'sensor', id: 's1', from: 'scrypt$s1', to: '$7$101$new-s1' },
      // Replaced meanwhile (another instance, a new secret): left alone.
      { kind: 'sensor', id: 's2', from: 'scrypt$not-what-is-stored', to: '$7$101$stale' },
      { kind: 'sensor', id: 'gone', from: 'scrypt$gone', to: '$7$101$gone' },
      { kind: 'gateway', id: 'gw', from: 'scrypt$gw', to: '$7$101$new-gw' },
      // A sensor id given as a gateway changes nothing.
      { kind: 'gateway', id: 's2', from: 'scrypt$s2', to: '$7$101$wrong-table' },
    ]);
    expect(made.map((u) => `${u.kind}:${u.id}`).sort()).toEqual(['gateway:gw', 'sensor:s1']);
    const snap = await store.loadRegistry();
    expect(snap.sensors.map((s) => [s.id, s.secretHash])).toEqual([
      ['s1', '$7$101$new-s1'],
      ['s2', 'scrypt$s2'],
    ]);
    expect(snap.gateways.map((g) => [g.id, g.secretHash])).toEqual([['gw', '$7$101$new-gw']]);
    expect(await store.upgradeSecretHashes([])).toEqual([]);
  });

  it('tokens: insert, find by hash, count by role and by grid node', async () => {
    await seed();
    await store.insertToken(tokenRow('t1', 'admin'));
    await store.insertToken(tokenRow('t2', 'worker', 'g2'));
    await store.insertToken(tokenRow('t3', 'worker', 'g'));
    await store.insertToken(tokenRow('t4', 'technician', 'g2'));
    expect(await store.findTokenByHash('hash-t2')).toEqual(tokenRow('t2', 'worker', 'g2'));
    expect(await store.findTokenByHash('hash-none')).toBeNull();
    expect(await store.countTokens()).toBe(4);
    expect(await store.countTokens('worker')).toBe(2);
    expect(await store.countTokens('monitor')).toBe(0);
    expect(await store.countTokensAt('g2')).toBe(2);
    expect(await store.countTokensAt('g')).toBe(1);
    expect(await store.countTokensAt('nowhere')).toBe(0);
    await expect(store.insertToken({ ...tokenRow('t5', 'admin'), role: 'root' as never })).rejects.toThrow();
  });

  it('users and sessions: names unique ignoring case, sessions found by hash, ended with their user, audited', async () => {
    await seed();
    const audit = (entityId: string, action: string) =>
      auditEntry(
        T,
        { name: 'contract test' },
        { entity: 'user', entityId, action, gridId: 'g2' },
        null,
        null,
      );
    const user = (id: string, username: string, gridId: string | null = 'g2'): UserRow => ({
      id,
      username,
      role: 'monitor',
      gridId,
      workerId: null,
      createdAt: T,
      disabledAt: null,
      passwordHash: `$scrypt$${id}`,
    });
    expect(await store.insertUser(user('u1', 'Wang.Li'), audit('u1', 'create'))).toBe(true);
    expect(await store.insertUser(user('u2', 'WANG.LI'), audit('u2', 'create'))).toBe(false);
    expect(await store.insertUser(user('u3', '李四', null), audit('u3', 'create'))).toBe(true);
    expect(await store.userByUsername('wang.li')).toEqual(user('u1', 'Wang.Li'));
    expect(await store.userById('u2')).toBeNull();
    const listed = await store.listUsers();
    expect(listed.map((u) => u.id)).toEqual(['u1', 'u3']);
    expect(JSON.stringify(listed)).not.toContain('scrypt');
    expect(await store.countUsersAt('g2')).toBe(1);

    const session = (idHash: string, userId = 'u1', at = T) => ({
      idHash,
      userId,
      csrfToken: `csrf-${idHash}`,
      createdAt: at,
      lastSeenAt: at,
    });
    const none = { idleBefore: 0, createdBefore: 0 };
    await store.insertSession(session('old', 'u1', T - 10 * HOUR), audit('u1', 'signIn'), none);
    await store.insertSession(session('s1'), audit('u1', 'signIn'), none);
    await store.insertSession(session('s2'), audit('u1', 'signIn'), none);
    await store.insertSession(session('s3', 'u3'), audit('u3', 'signIn'), {
      idleBefore: T - HOUR,
      createdBefore: T - 24 * HOUR,
    });
    // The sign-in cleared away the session idle for too long.
    expect(await store.sessionByHash('old')).toBeNull();
    expect(await store.sessionByHash('s1')).toEqual(session('s1'));
    await store.touchSession('s1', T + 5);
    expect((await store.sessionByHash('s1'))?.lastSeenAt).toBe(T + 5);
    await store.deleteSession('s2', audit('u1', 'signOut'));
    expect(await store.sessionByHash('s2')).toBeNull();

    await store.updateUser(
      { ...user('u1', 'Wang.Li'), role: 'admin', disabledAt: T },
      audit('u1', 'update'),
      true,
    );
    expect(await store.userById('u1')).toMatchObject({ role: 'admin', disabledAt: T });
    expect(await store.sessionByHash('s1')).toBeNull();
    expect(await store.deleteUserSessions('u3', audit('u3', 'endSessions'))).toBe(1);
    await store.insertSession(session('s4', 'u3'), audit('u3', 'signIn'), none);
    await store.deleteUser('u3', audit('u3', 'delete'));
    expect(await store.userById('u3')).toBeNull();
    expect(await store.sessionByHash('s4')).toBeNull();
    const trail = await store.auditPage({ entity: 'user', limit: 100, offset: 0 });
    expect(trail.items.map((e) => `${e.entityId} ${e.action}`).reverse()).toEqual([
      'u1 create',
      'u3 create',
      'u1 signIn',
      'u1 signIn',
      'u1 signIn',
      'u3 signIn',
      'u1 signOut',
      'u1 update',
      'u3 endSessions',
      'u3 signIn',
      'u3 delete',
    ]);
  });

  it('tokens: listed oldest first without their hashes, expiry round-trips', async () => {
    await seed();
    await store.insertToken({ ...tokenRow('t2', 'worker', 'g2'), createdAt: T + 1, expiresAt: T + HOUR });
    await store.insertToken(tokenRow('t1', 'admin'));
    const listed = await store.listTokens();
    expect(listed.map((t) => t.id)).toEqual(['t1', 't2']);
    for (const t of listed) expect(Object.keys(t)).not.toContain('tokenHash');
    expect(JSON.stringify(listed)).not.toContain('hash-');
    expect(listed[1]).toEqual({
      id: 't2',
      name: 'token t2',
      role: 'worker',
      gridId: 'g2',
      createdAt: T + 1,
      revokedAt: null,
      expiresAt: T + HOUR,
    });
    expect((await store.findTokenByHash('hash-t2'))?.expiresAt).toBe(T + HOUR);
  });

  it('tokens: one by id, revoked ones too, without its hash; unknown is null', async () => {
    await seed();
    await store.insertToken({ ...tokenRow('t2', 'worker', 'g2'), expiresAt: T + HOUR });
    await store.insertToken(tokenRow('t1', 'admin'));
    expect(await store.tokenById('t2')).toEqual({
      ...tokenRecordOf('t2', 'worker', 'g2'),
      expiresAt: T + HOUR,
    });
    await store.revokeToken('t2', T + 5);
    const revoked = await store.tokenById('t2');
    expect(revoked?.revokedAt).toBe(T + 5);
    expect(Object.keys(revoked ?? {})).not.toContain('tokenHash');
    expect(await store.tokenById('nope')).toBeNull();
  });

  it('tokens: revoke once (the first time stays), unknown is null, the last never-expiring whole-grid admin stays', async () => {
    await seed();
    await store.insertToken(tokenRow('a1', 'admin'));
    await store.insertToken({ ...tokenRow('a-exp', 'admin'), expiresAt: T + HOUR });
    await store.insertToken(tokenRow('a-scoped', 'admin', 'g2'));
    await store.insertToken(tokenRow('w1', 'worker', 'g2'));

    expect(await store.revokeToken('w1', T + 5)).toEqual({
      result: 'revoked',
      token: { ...tokenRecordOf('w1', 'worker', 'g2'), revokedAt: T + 5 },
    });
    expect((await store.findTokenByHash('hash-w1'))?.revokedAt).toBe(T + 5);
    expect((await store.revokeToken('w1', T + 9))?.result).toBe('already_revoked');
    expect((await store.findTokenByHash('hash-w1'))?.revokedAt).toBe(T + 5);
    expect(await store.revokeToken('nope', T)).toBeNull();

    // Neither an expiring nor a scoped admin keeps the service administrable: a1 is the last keeper.
    expect(await store.revokeToken('a1', T + 6)).toEqual({
      result: 'last_admin',
      token: tokenRecordOf('a1', 'admin'),
    });
    expect((await store.findTokenByHash('hash-a1'))?.revokedAt).toBeNull();
    expect((await store.revokeToken('a-exp', T + 6))?.result).toBe('revoked');
    expect((await store.revokeToken('a-scoped', T + 6))?.result).toBe('revoked');

    // With two keepers revoked at the same time (two instances), exactly one goes.
    await store.insertToken(tokenRow('a2', 'admin'));
    const both = await Promise.all([store.revokeToken('a1', T + 7), store.revokeToken('a2', T + 7)]);
    expect(both.map((o) => o?.result).sort()).toEqual(['last_admin', 'revoked']);
    const keepers = (await store.listTokens()).filter((t) => t.role === 'admin' && t.revokedAt === null);
    expect(keepers.map((t) => t.gridId)).toEqual([null]);
  });

  it('commitIngest: states round-trip field by field; a sensor committed twice keeps the later state', async () => {
    await seed();
    const first = state('s1', {
      door: 'open',
      battery: null,
      rssi: null,
      lastDoorChange: null,
      recentSeqs: [],
    });
    await store.commitIngest({ states: [first, state('s2')], doorEvents: [] });
    expect(sortStates(await store.loadSealStates())).toEqual([first, state('s2')]);

    // Again in a later group: an upsert, not a second row.
    const second = state('s1', {
      door: 'closed',
      online: false,
      tamper: true,
      battery: 12.25,
      rssi: -93.5,
      lastSeen: T + HOUR,
      lastDoorChange: T + HOUR - 5,
      doorObservedAt: T + HOUR - 5,
      recentSeqs: [8, 9, 10],
      messages: 5,
      updatedAt: T + HOUR,
    });
    await store.commitIngest({ states: [second], doorEvents: [] });
    expect(sortStates(await store.loadSealStates())).toEqual([second, state('s2')]);

    // Twice in one group: the later one wins.
    const third = { ...second, messages: 6, recentSeqs: [9, 10, 11] };
    const fourth = { ...second, messages: 7, recentSeqs: [10, 11, 12], door: 'open' as const };
    await store.commitIngest({ states: [third, fourth], doorEvents: [] });
    expect(sortStates(await store.loadSealStates())).toEqual([fourth, state('s2')]);
  });

  it('commitIngest writes a group of states and door events together; an unknown sensor is skipped, not fatal', async () => {
    await seed();
    await store.commitIngest({
      states: [state('s1'), state('removed-meanwhile'), state('s2')],
      doorEvents: [doorEvent('s1', T), doorEvent('removed-meanwhile', T, { householdId: 'h2' })],
    });
    expect(sortStates(await store.loadSealStates()).map((s) => s.sensorId)).toEqual(['s1', 's2']);
    expect(await store.doorHistory('s1', 10)).toEqual([doorEvent('s1', T)]);
    expect(await store.doorHistory('removed-meanwhile', 10)).toHaveLength(1);
    await store.commitIngest({ states: [], doorEvents: [] });
    expect(await store.loadSealStates()).toHaveLength(2);
  });

  it('commitIngest of a group of 400 states and events in one call', async () => {
    await store.insertGridNode(grid('g'));
    await store.insertHousehold(household('h1'));
    const ids = Array.from({ length: 400 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    await store.importRecords({ sensors: ids.map((id) => sensor(id, 'h1')) });
    const states = ids.map((id, i) => state(id, { messages: i, door: i % 2 ? 'open' : 'closed' }));
    await store.commitIngest({ states, doorEvents: ids.map((id, i) => doorEvent(id, T + i)) });
    await store.commitIngest({
      states: states.map((s) => ({ ...s, messages: s.messages + 1 })),
      doorEvents: [],
    });
    const loaded = sortStates(await store.loadSealStates());
    expect(loaded).toHaveLength(400);
    expect(loaded[399]).toEqual({ ...states[399], messages: 400 });
    expect(await store.doorHistory('s123', 10)).toEqual([doorEvent('s123', T + 123)]);
  });

  it('doorHistory is newest first by device time, then by arrival, limited, for one sensor only', async () => {
    await seed();
    await store.commitIngest({
      states: [],
      doorEvents: [
        doorEvent('s1', T + 2, { seq: 1 }),
        doorEvent('s1', T, { seq: 2, type: 'close' }),
        doorEvent('s2', T + 9, { householdId: 'h2' }),
      ],
    });
    await store.commitIngest({
      states: [],
      doorEvents: [
        doorEvent('s1', T + 1, { seq: null, dialect: 'zigbee2mqtt' }),
        doorEvent('s1', T + 2, { seq: 3, type: 'tamper' }), // same ts as seq 1, arrived later
      ],
    });
    expect((await store.doorHistory('s1', 10)).map((e) => e.seq)).toEqual([3, 1, null, 2]);
    expect(await store.doorHistory('s1', 2)).toEqual([
      doorEvent('s1', T + 2, { seq: 3, type: 'tamper' }),
      doorEvent('s1', T + 2, { seq: 1 }),
    ]);
    expect(await store.doorHistory('s2', 10)).toEqual([doorEvent('s2', T + 9, { householdId: 'h2' })]);
    expect(await store.doorHistory('nobody', 10)).toEqual([]);
  });

  it('purgeHouseholds clears personal data and door history of the given households only', async () => {
    await seed();
    await store.insertHousehold(household('h3'));
    await store.commitIngest({
      states: [state('s1')],
      doorEvents: [
        doorEvent('s1', T),
        doorEvent('s1', T + 1),
        doorEvent('s2', T, { householdId: 'h2' }),
        doorEvent('s3', T, { householdId: 'h3' }),
      ],
    });
    expect(await store.purgeHouseholds(['h1', 'h2', 'no-such-household'], T + HOUR, noTrail)).toEqual({
      doorEvents: 3,
      auditEntries: 0,
    });
    expect(await store.purgeHouseholds([], T + HOUR, noTrail)).toEqual({ doorEvents: 0, auditEntries: 0 });
    const snap = await store.loadRegistry();
    expect(snap.households).toEqual([
      { ...household('h1'), address: null, contact: null, purgedAt: T + HOUR },
      { ...household('h2', 'g2'), address: null, contact: null, purgedAt: T + HOUR },
      household('h3'),
    ]);
    expect(await store.doorHistory('s1', 10)).toEqual([]);
    expect(await store.doorHistory('s2', 10)).toEqual([]);
    expect(await store.doorHistory('s3', 10)).toHaveLength(1);
    // Households, sensors and live states stay for counts and reports.
    expect(snap.sensors).toHaveLength(2);
    expect(await store.loadSealStates()).toHaveLength(1);
  });

  it("purgeHouseholds deletes the purged households' audit entries and those of households deleted before the cutoff, and appends its own, in one transaction", async () => {
    await seed();
    const entry = (entity: string, entityId: string, action: string, at: number, householdId?: string) =>
      auditEntry(
        at,
        { name: 'ops' },
        { entity, entityId, action, gridId: 'g', householdId },
        { address: `${householdId} 的地址` },
        null,
      );
    await store.insertHousehold(household('h3'), entry('household', 'h3', 'create', T, 'h3'));
    await store.insertHousehold(
      household('gone-old'),
      entry('household', 'gone-old', 'create', T, 'gone-old'),
    );
    await store.insertHousehold(
      household('gone-new'),
      entry('household', 'gone-new', 'create', T, 'gone-new'),
    );
    await store.deleteHousehold('gone-old', entry('household', 'gone-old', 'delete', T + 1, 'gone-old'));
    await store.deleteHousehold(
      'gone-new',
      entry('household', 'gone-new', 'delete', T + 3 * HOUR, 'gone-new'),
    );
    await store.updateHousehold(
      { ...household('h1'), contact: '139' },
      entry('household', 'h1', 'update', T, 'h1'),
    );
    await store.setCommissioning('s1', T + HOUR, entry('sensor', 's1', 'commissioning', T, 'h1'));
    await store.insertQuarantine(quarantine('q1', 'h1', T), entry('quarantine', 'q1', 'create', T, 'h1'));
    await store.insertWorker({ ...worker('w2'), name: '王' }, entry('worker', 'w2', 'create', T));
    const marker = auditEntry(
      T + 2 * HOUR,
      { name: 'service' },
      { entity: 'household', entityId: 'h1', action: 'purge', gridId: 'g' },
      null,
      null,
    );
    // A purge that fails (here: a purge marker the log refuses) deletes nothing.
    await expect(
      store.purgeHouseholds(['h1'], T + 2 * HOUR, {
        audit: [{ ...marker, actor: null as unknown as string }],
        deletedBefore: T + 2 * HOUR,
      }),
    ).rejects.toThrow();
    expect((await store.auditPage({ limit: 100, offset: 0 })).total).toBe(9);
    expect(
      await store.purgeHouseholds(['h1'], T + 2 * HOUR, { audit: [marker], deletedBefore: T + 2 * HOUR }),
    ).toEqual({
      doorEvents: 0,
      auditEntries: 5,
    });
    const kept = (await store.auditPage({ limit: 100, offset: 0 })).items;
    expect(kept.map((e) => `${e.entity}:${e.entityId}:${e.action}`)).toEqual([
      'household:h1:purge',
      'worker:w2:create',
      'household:gone-new:delete',
      'household:gone-new:create',
      'household:h3:create',
    ]);
    expect(kept[0]).toEqual({ ...marker, seq: kept[0]?.seq });
    expect(kept[4]?.householdId).toBe('h3');
    // A household registered again under a deleted one's id keeps its entries.
    await store.insertHousehold(
      household('gone-new'),
      entry('household', 'gone-new', 'create', T + 4 * HOUR, 'gone-new'),
    );
    expect(
      (await store.purgeHouseholds([], T + 5 * HOUR, { audit: [], deletedBefore: T + 5 * HOUR }))
        .auditEntries,
    ).toBe(0);
  });
});

describe('PostgreSQL store: migrations and reopening', () => {
  it('two instances opening one fresh database at once: it is created once, both work', async () => {
    const url = await freshPostgresUrl();
    const [a, b] = await Promise.all([openPool(url, logger, { max: 2 }), openPool(url, logger, { max: 2 })]);
    try {
      const { rows } = await a.query('SELECT version, name FROM schema_migrations ORDER BY version');
      // Created from the definition: every step counts as applied, none of the frozen history.
      expect(rows).toEqual(STEPS.map(({ version, name }) => ({ version, name })));
      expect(rows.every((r) => r.version >= 100)).toBe(true);
      await new PostgresStore(a).insertGridNode(grid('g'));
      expect((await new PostgresStore(b).loadRegistry()).grid).toEqual([grid('g')]);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('reopening applies nothing and finds the data', async () => {
    const url = await freshPostgresUrl();
    const first = new PostgresStore(await openPool(url, logger));
    await first.insertGridNode(grid('g'));
    await first.insertHousehold(household('h1'));
    await first.insertSensor(sensor('s1'));
    await first.commitIngest({ states: [state('s1')], doorEvents: [doorEvent('s1', T)] });
    await first.close();
    const pool = await openPool(url, logger);
    const again = new PostgresStore(pool);
    try {
      expect((await pool.query('SELECT count(*) AS n FROM schema_migrations')).rows[0]).toEqual({
        n: STEPS.length,
      });
      expect(await again.loadSealStates()).toEqual([state('s1')]);
      expect(await again.doorHistory('s1', 1)).toEqual([doorEvent('s1', T)]);
    } finally {
      await again.close();
    }
  });

  it('a sensor removed by another instance while a group commits: the group waits, skips it and succeeds', async () => {
    const url = await freshPostgresUrl();
    const pool = await openPool(url, logger, { max: 3 });
    const store = new PostgresStore(pool);
    const other = await pool.connect();
    try {
      await store.insertGridNode(grid('g'));
      await store.insertHousehold(household('h1'));
      await store.importRecords({ sensors: [sensor('s1'), sensor('s2')] });
      await store.commitIngest({ states: [state('s1')], doorEvents: [] });
      // Another instance's deleteSensor('s1'), stopped before its COMMIT.
      await other.query('BEGIN');
      await other.query("SELECT 1 FROM sensors WHERE id = 's1' FOR UPDATE");
      await other.query("DELETE FROM seal_state WHERE sensor_id = 's1'");
      await other.query("DELETE FROM sensors WHERE id = 's1'");
      let settled = false;
      const commit = store
        .commitIngest({
          states: [state('s1', { messages: 9 }), state('s2')],
          doorEvents: [doorEvent('s1', T)],
        })
        .finally(() => {
          settled = true;
        });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(settled).toBe(false); // waits for the removal to commit or roll back
      await other.query('COMMIT');
      await commit;
      expect((await store.loadSealStates()).map((s) => s.sensorId)).toEqual(['s2']);
      expect(await store.doorHistory('s1', 10)).toHaveLength(1);
    } finally {
      other.release();
      await store.close();
    }
  });

  it("a missing database fails openPool with the server's error", async () => {
    const server = await sharedPostgres();
    await expect(
      openPool(`postgres://sealwatch@127.0.0.1:${server.port}/no_such_db`, logger),
    ).rejects.toThrow(/no_such_db/);
  });
});

function sortStates(states: SealState[]): SealState[] {
  return [...states].sort((a, b) => (a.sensorId < b.sensorId ? -1 : 1));
}
