/**
 * The engine on PostgreSQL when the database goes away mid-storm: a decision whose write failed must
 * leave the engine's memory as the database has it, so the seal feed's second reading decides each
 * message exactly once. The alert store's pool reaches a real PostgreSQL through a fault proxy
 * (test/helpers/faultProxy.ts) that drops every connection; the registry and the checks use their
 * own connections. The notifier is a recording DOUBLE (channels are tested against real servers
 * elsewhere in this folder).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../alerting/alertModel.ts';
import { AlertEngine } from '../../../alerting/engine/alertEngine.ts';
import type { Notification, Notifier } from '../../../alerting/notifiers/types.ts';
import { createEngineFeed } from '../../../app/multiInstance.ts';
import { ManualClock } from '../../../core/clock.ts';
import { EventBus } from '../../../core/eventBus.ts';
import type { SealCommitted, ServiceEvents } from '../../../core/events.ts';
import { initialSealState } from '../../../core/sealState.ts';
import { Registry } from '../../../registry/registry.ts';
import { openPool, type Pool } from '../../../storage/postgres/openPool.ts';
import { PostgresAlertStore } from '../../../storage/postgres/postgresAlertStore.ts';
import { PostgresStore } from '../../../storage/postgres/postgresStore.ts';
import { type FaultProxy, startFaultProxy } from '../../helpers/faultProxy.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';

const T0 = Date.UTC(2026, 0, 10, 2, 0, 0);
const SEALS = 20;
const logger = pino({ level: 'silent' });

class RecordingNotifierDouble implements Notifier {
  readonly channel = 'webhook' as const;
  readonly sent: Notification[] = [];
  async send(n: Notification) {
    this.sent.push(n);
    return { status: 'delivered' as const };
  }
  async close() {}
}

describe('alert engine on PostgreSQL, the database lost mid-storm', () => {
  let pg: PostgresServer;
  let proxy: FaultProxy;
  let direct: Pool;
  let viaProxy: Pool;
  let registry: Registry;
  const clock = new ManualClock(T0);
  const bus = new EventBus<ServiceEvents>(logger);

  beforeAll(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase('outage');
    direct = await openPool(url, logger, { max: 4 });
    proxy = await startFaultProxy(Number(new URL(url).port));
    const proxied = new URL(url);
    proxied.port = String(proxy.port);
    viaProxy = await openPool(proxied.toString(), logger, { max: 4 });
    // Unused connections of a pool whose server vanished must not crash the test process.
    viaProxy.on('error', () => undefined);
    // Silence is not this test's subject: the generic model (which judges every seal here) beats hourly.
    registry = new Registry(new PostgresStore(direct), bus, clock, {
      genericHeartbeat: { heartbeatIntervalMs: 60 * 60_000, missedHeartbeats: 3 },
    });
    await registry.load();
    await registry.createGridNode(
      { id: 'county', name: '县', parentId: null, level: 'county' },
      { name: 'test' },
    );
    await registry.createGridNode(
      { id: 'village', name: '村', parentId: 'county', level: 'village' },
      { name: 'test' },
    );
    await registry.createWorker(
      {
        id: 'lc',
        name: 'LC',
        gridId: 'county',
        role: 'leader',
        webhook: 'https://robot.example.org/leader',
      },
      { name: 'test' },
    );
    await registry.createWorker(
      {
        id: 'w',
        name: 'W',
        gridId: 'village',
        role: 'worker',
        webhook: 'https://robot.example.org/hook',
      },
      { name: 'test' },
    );
    for (let i = 0; i < SEALS; i++) {
      await registry.createHousehold(
        { id: `h${i}`, gridId: 'village', address: `${i} 号` },
        { name: 'test' },
      );
      await registry.createQuarantine({ householdId: `h${i}`, start: T0 - 60 * 60_000 }, { name: 'test' });
      await registry.createSensor({ id: `s${i}`, householdId: `h${i}` }, { name: 'test' });
    }
  }, 120_000);

  afterAll(async () => {
    await viaProxy?.end();
    await direct?.end();
    await proxy?.close();
    await pg?.close();
  });

  const opening = (i: number, seq: number): SealCommitted => {
    const before = initialSealState(`s${i}`, T0);
    return {
      message: {
        kind: 'door',
        sensorId: `s${i}`,
        dialect: 'native',
        door: 'open',
        ts: T0 + seq,
        receivedAt: T0 + seq,
        seq,
      },
      before,
      after: { ...before, door: 'open', lastSeen: T0 + seq },
      householdId: `h${i}`,
      gridId: 'village',
    };
  };

  it('writes nothing it could not write into memory, and the feed read again decides each message once', async () => {
    const store = new PostgresAlertStore(viaProxy);
    const check = new PostgresAlertStore(direct);
    const feed = createEngineFeed();
    const engine = new AlertEngine({
      registry,
      seals: { state: () => undefined, allStates: () => [] },
      store,
      bus,
      telemetry: { append: () => {} },
      notifiers: [new RecordingNotifierDouble()],
      clock,
      logger,
      // Silence is not this test's subject: no seal goes offline within it.
      policy: { ...DEFAULT_POLICY, heartbeatIntervalMs: 60 * 60_000 },
      escalateAfter: [5 * 60_000],
      tz: 'Asia/Shanghai',
      locale: 'en',
      publicUrl: 'https://sw.example.org',
      ackKey: Buffer.alloc(32, 7),
      sweepMs: 60 * 60_000,
      committedFeed: feed.subscribe,
    });
    await engine.start();
    const memoryIds = () =>
      engine
        .unresolved()
        .map((a) => a.id)
        .sort();
    const storedIds = async () => (await check.loadUnresolved()).map((a) => a.id).sort();
    const mark = (i: number) => ({ key: 'sealFeed.decided', value: `g#${i}` });

    // The first half of the storm is written.
    for (let i = 0; i < SEALS / 2; i++) await feed.deliver(opening(i, 1), mark(i));
    expect(engine.unresolved()).toHaveLength(SEALS / 2);
    const firstAlert = engine.unresolved()[0]!;

    // A write in flight when the database goes: slow connections, then all of them cut.
    proxy.set({ kind: 'slow', delayMs: 300 });
    const inFlight = feed.deliver(opening(SEALS / 2, 1), mark(SEALS / 2));
    await new Promise((r) => setTimeout(r, 100));
    proxy.set({ kind: 'down' });
    await expect(inFlight).rejects.toThrow();
    // The rest of the storm, a sweep and a person's acknowledgement, all while it is down.
    for (let i = SEALS / 2 + 1; i < SEALS; i++) {
      await expect(feed.deliver(opening(i, 1), mark(i))).rejects.toThrow();
    }
    clock.set(T0 + 6 * 60_000); // the first escalations are due
    await expect(engine.sweep()).rejects.toThrow();
    await expect(engine.acknowledge(firstAlert.id, 'w')).rejects.toThrow();

    // Memory is exactly what the database holds: no alert, escalation or acknowledgement ahead.
    expect(memoryIds()).toEqual(await storedIds());
    expect(memoryIds()).toHaveLength(SEALS / 2);
    expect(engine.unresolved().every((a) => a.escalationLevel === 0 && a.status === 'open')).toBe(true);
    expect(await check.getState('sealFeed.decided')).toBe(`g#${SEALS / 2 - 1}`);

    // Back: the feed reads the failed messages again, the sweep runs again.
    proxy.set({ kind: 'pass' });
    for (let i = SEALS / 2; i < SEALS; i++) await feed.deliver(opening(i, 1), mark(i));
    await engine.sweep();
    expect(memoryIds()).toEqual(await storedIds());
    const alerts = await check.list({});
    expect(memoryIds()).toHaveLength(SEALS);
    // One breach per seal, each opening counted once (a counter or occurrence from the lost writes
    // kept in memory would show here as 2).
    expect(alerts.map((a) => a.sensorId).sort()).toEqual(
      Array.from({ length: SEALS }, (_, i) => `s${i}`).sort(),
    );
    expect(alerts.every((a) => a.count === 1)).toBe(true);
    expect([...(await check.loadOpenCounters()).values()].every((c) => c.count === 1)).toBe(true);
    // The escalation the failed sweep computed is made once, by the sweep that was written.
    expect((await check.get(firstAlert.id))?.escalationLevel).toBe(1);
    expect((await check.changes(firstAlert.id)).filter((c) => c.kind === 'escalated')).toHaveLength(1);
    await engine.stop();
  });
});
