import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { EventBus } from '../../core/eventBus.ts';
import type { ServiceEvents } from '../../core/events.ts';
import { Registry } from '../../registry/registry.ts';
import { openDatabase } from '../../storage/sqlite/openDatabase.ts';
import { SqliteStore } from '../../storage/sqlite/sqliteStore.ts';
import { connectSensor, eventPayload } from '../helpers/mqtt.ts';
import { startService } from '../helpers/service.ts';

const DAY = 86_400_000;

describe('privacy: retention purge', () => {
  it('with a moved clock: personal data and door history go RETENTION_DAYS after the quarantine ends, aggregates stay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwatch-retention-'));
    const logger = pino({ level: 'silent' });
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
    const store = new SqliteStore(openDatabase(join(dir, 'db.sqlite'), logger));
    const registry = new Registry(store, new EventBus<ServiceEvents>(logger), clock);
    await registry.load();
    await registry.createGridNode({ id: 'g', name: 'g', parentId: null, level: 'county' }, { name: 'test' });
    await registry.createHousehold(
      {
        id: 'h',
        gridId: 'g',
        address: '东村三组 12 号',
        contact: '张三 13800000000',
      },
      { name: 'test' },
    );
    await registry.createSensor({ id: 's', householdId: 'h' }, { name: 'test' });
    const start = clock.now();
    await registry.createQuarantine({ householdId: 'h', start, end: start + 14 * DAY }, { name: 'test' });
    await store.commitIngest({
      states: [],
      doorEvents: [
        {
          sensorId: 's',
          householdId: 'h',
          type: 'open',
          ts: start + DAY,
          receivedAt: start + DAY,
          seq: 1,
          dialect: 'native',
        },
      ],
    });

    clock.set(start + 14 * DAY + 29 * DAY); // 29 days after the end: kept
    expect((await registry.purgeExpiredHouseholds(30 * DAY)).households).toEqual([]);
    expect(registry.household('h')?.address).toBe('东村三组 12 号');

    clock.set(start + 14 * DAY + 30 * DAY); // 30 days after: purged
    // Its audit entries go too (the household's, its sensor's, its quarantine's): one says it was purged.
    expect(await registry.purgeExpiredHouseholds(30 * DAY)).toEqual({
      households: ['h'],
      doorEvents: 1,
      auditEntries: 3,
    });
    const trail = (await registry.auditPage({ limit: 100, offset: 0 })).items;
    expect(trail.map((e) => `${e.entity}:${e.entityId}:${e.action}`)).toEqual([
      'household:h:purge',
      'grid:g:create',
    ]);
    expect(JSON.stringify(trail)).not.toMatch(/东村|张三/);
    expect(registry.household('h')).toMatchObject({ address: null, contact: null, purgedAt: clock.now() });
    expect(await store.doorHistory('s', 10)).toEqual([]);
    // The household and its sensor stay for counts and reports; a reload sees the purge.
    expect(registry.sensor('s')).toBeDefined();
    const reloaded = new Registry(store, new EventBus<ServiceEvents>(logger), clock);
    await reloaded.load();
    expect(reloaded.household('h')?.address).toBeNull();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('privacy: the running service purges at start and daily', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    svc = await startService({ env: { RETENTION_DAYS: '2' } });
  });
  afterAll(async () => svc?.cleanup());

  it('purges a household whose quarantine ended three days ago and keeps one that ended yesterday', async () => {
    await svc.api('POST', '/api/grid', { id: 'g', name: 'g', parentId: null, level: 'county' });
    const iso = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString();
    const sensors: Record<string, string> = {};
    for (const [h, endDays] of [
      ['old', -3],
      ['recent', -1],
    ] as const) {
      await svc.api('POST', '/api/households', { id: h, gridId: 'g', address: `${h} 号`, contact: '李四' });
      await svc.api('POST', '/api/quarantines', { householdId: h, start: iso(-20), end: iso(endDays) });
      sensors[h] = (await svc.api('POST', '/api/sensors', { id: `s-${h}`, householdId: h })).body.secret;
      const c = await connectSensor(svc.mqttUrl, `s-${h}`, sensors[h] as string);
      await c.publishAsync(`seal/s-${h}/event`, eventPayload('open', 1), { qos: 1 });
      await c.endAsync();
      // A silence's reason is free text written by staff: its audit entry goes with the household.
      const silenced = await svc.api('POST', `/api/sensors/s-${h}/silence`, {
        until: iso(1),
        reason: `${h} 号换电池`,
      });
      expect(silenced.status).toBe(200);
    }
    await svc.restart();
    await svc.waitForLog((l) => l.msg === 'personal data purged', 10_000);
    const households = (await svc.api('GET', '/api/households')).body.items as {
      id: string;
      address: string | null;
    }[];
    expect(households.find((h) => h.id === 'old')?.address).toBeNull();
    expect(households.find((h) => h.id === 'recent')?.address).toBe('recent 号');
    expect((await svc.api('GET', '/api/seals/s-old/history')).body.items).toEqual([]);
    expect((await svc.api('GET', '/api/seals/s-recent/history')).body.items).toHaveLength(1);
    // The audit trail forgot the purged household (its entries and its sensor's, quarantine's), not the other.
    const trail = (await svc.api('GET', '/api/audit?limit=1000')).body as Array<Record<string, unknown>>;
    // Entries naming the household or its sensor (s-<id>) by id, anywhere in them.
    const about = (id: string) =>
      trail
        .filter((e) => JSON.stringify(e).match(new RegExp(`"(s-)?${id}"`)))
        .map((e) => `${e.entity}:${e.action}`);
    expect(about('old')).toEqual(['household:purge']);
    expect(about('recent').sort()).toEqual([
      'household:create',
      'quarantine:create',
      'sensor:create',
      'sensor:silence',
    ]);
    expect(JSON.stringify(trail)).not.toContain('old 号');
    const overview = (await svc.api('GET', '/api/overview')).body.nodes[0];
    expect(overview.counts.households).toBe(2);
  });
});
