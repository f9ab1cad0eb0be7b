import Database from 'better-sqlite3';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import { Registry } from '../../../registry/registry.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';

/** Registry.sensorsUnder: the sensors of a subtree, node by node, kept right through moves and removals. */
describe('Registry.sensorsUnder', () => {
  let registry: Registry;
  const under = (root: string | null) =>
    [...registry.sensorsUnder(root)].map((x) => `${x.gridId}/${x.sensor.id}`);

  beforeEach(async () => {
    const db = new Database(':memory:');
    migrateSqlite(db, pino({ level: 'silent' }));
    const store = new SqliteStore(db);
    registry = new Registry(
      store,
      new EventBus<ServiceEvents>(pino({ level: 'silent' })),
      new ManualClock(0),
    );
    for (const [id, parentId] of [
      ['county', null],
      ['a', 'county'],
      ['b', 'county'],
      ['a1', 'a'],
    ] as const)
      await registry.createGridNode({ id, name: id, parentId, level: 'x' }, { name: 'test' });
    for (const [h, grid, sensors] of [
      ['h-county', 'county', ['s0']],
      ['h-a1', 'a1', ['s1', 's2']],
      ['h-b', 'b', ['s3']],
    ] as const) {
      await registry.createHousehold({ id: h, gridId: grid, address: h }, { name: 'test' });
      for (const id of sensors) await registry.createSensor({ id, householdId: h }, { name: 'test' });
    }
  });

  it('walks the whole grid or one subtree, parents before children', () => {
    expect(under(null)).toEqual(['county/s0', 'a1/s1', 'a1/s2', 'b/s3']);
    expect(under('a')).toEqual(['a1/s1', 'a1/s2']);
    expect(under('b')).toEqual(['b/s3']);
    expect(under('nowhere')).toEqual([]);
  });

  it('follows a household moved to another node, a node moved, a sensor and a household removed', async () => {
    await registry.updateHousehold('h-b', { gridId: 'a1' }, { name: 'test' });
    expect(under('b')).toEqual([]);
    expect(under('a')).toEqual(['a1/s1', 'a1/s2', 'a1/s3']);
    await registry.updateGridNode('a1', { parentId: 'b' }, { name: 'test' });
    expect(under('a')).toEqual([]);
    expect(under('b')).toEqual(['a1/s1', 'a1/s2', 'a1/s3']);
    await registry.deleteSensor('s3', { name: 'test' });
    await registry.deleteHousehold('h-b', { name: 'test' });
    expect(under(null)).toEqual(['county/s0', 'a1/s1', 'a1/s2']);
  });
});

/** Registry.workersAt: a node's own workers, kept right through creation, a move, an update and removal. */
describe('Registry.workersAt', () => {
  it('answers the workers of one node and follows them', async () => {
    const db = new Database(':memory:');
    migrateSqlite(db, pino({ level: 'silent' }));
    const registry = new Registry(
      new SqliteStore(db),
      new EventBus<ServiceEvents>(pino({ level: 'silent' })),
      new ManualClock(0),
    );
    const actor = { name: 'test' };
    for (const [id, parentId] of [
      ['county', null],
      ['a', 'county'],
      ['b', 'county'],
    ] as const)
      await registry.createGridNode({ id, name: id, parentId, level: 'x' }, actor);
    for (const [id, gridId] of [
      ['w1', 'a'],
      ['w2', 'a'],
      ['w3', 'b'],
      ['l1', 'county'],
    ] as const)
      await registry.createWorker({ id, name: id, gridId, role: id === 'l1' ? 'leader' : 'worker' }, actor);
    const at = (gridId: string) => registry.workersAt(gridId).map((w) => w.id);
    expect([at('a'), at('b'), at('county'), at('nowhere')]).toEqual([['w1', 'w2'], ['w3'], ['l1'], []]);

    await registry.updateWorker('w1', { gridId: 'b' }, actor);
    expect([at('a'), at('b')]).toEqual([['w2'], ['w3', 'w1']]);
    await registry.updateWorker('w1', { name: 'renamed' }, actor);
    expect(registry.workersAt('b').map((w) => w.name)).toEqual(['w3', 'renamed']);
    await registry.deleteWorker('w3', actor);
    expect([at('a'), at('b')]).toEqual([['w2'], ['w1']]);
  });
});
