/**
 * The low-battery count of /metrics and the page judges each seal as alerting does: its model's
 * threshold, else the policy of its node (issue 16.1 and 16.4), not one fixed number.
 */
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sealCounts } from '../../../app/sealCounts.ts';
import { ManualClock } from '../../../core/clock.ts';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import { initialSealState, type SealState } from '../../../core/sealState.ts';
import { createModelBody } from '../../../registry/modelSchemas.ts';
import { gridPolicyBody } from '../../../registry/policy/policyFields.ts';
import { Registry } from '../../../registry/registry.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';

const T0 = Date.UTC(2026, 0, 10, 2, 0, 0);
const logger = pino({ level: 'silent' });
const admin = { name: 'test' };

describe('sealCounts: low battery by the sensor’s own threshold', () => {
  it('a node’s policy moves the threshold for its subtree; a model’s own threshold wins', async () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrateSqlite(db, logger);
    const registry = new Registry(
      new SqliteStore(db),
      new EventBus<ServiceEvents>(logger),
      new ManualClock(T0),
    );
    await registry.load();
    await registry.createGridNode(
      { id: 'county', name: '县', parentId: null, level: 'county' },
      { name: 'test' },
    );
    for (const v of ['strict', 'plain'])
      await registry.createGridNode(
        { id: v, name: v, parentId: 'county', level: 'village' },
        { name: 'test' },
      );
    await registry.setGridPolicy('strict', gridPolicyBody.parse({ lowBatteryPercent: 40 }), admin);
    await registry.createModel(
      createModelBody.parse({ id: 'coin-cell', heartbeatInterval: '1h', lowBatteryPercent: 10 }),
      admin,
    );
    const sensors: [string, string, string | undefined][] = [
      ['s-strict', 'strict', undefined], // 30 % < 40 % (the village's policy): low
      ['s-plain', 'plain', undefined], // 30 % ≥ 20 % (the default): not low
      ['s-coin', 'strict', 'coin-cell'], // 30 % ≥ 10 % (the model's own, over the village's 40 %): not low
    ];
    const states = new Map<string, SealState>();
    for (const [id, gridId, model] of sensors) {
      await registry.createHousehold({ id: `h-${id}`, gridId, address: id }, { name: 'test' });
      await registry.createSensor(
        { id, householdId: `h-${id}`, ...(model ? { model } : {}) },
        { name: 'test' },
      );
      states.set(id, { ...initialSealState(id, T0), battery: 30, lastSeen: T0, online: true });
    }
    expect(registry.lowBatteryThreshold({ model: 'generic' }, 'strict')).toBe(40);
    expect(registry.lowBatteryThreshold({ model: 'generic' }, 'plain')).toBe(20);
    expect(registry.lowBatteryThreshold({ model: 'coin-cell' }, 'strict')).toBe(10);
    expect(sealCounts(registry, { state: (id) => states.get(id) }, T0).lowBattery).toBe(1);
  });
});
