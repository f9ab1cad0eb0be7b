import Database from 'better-sqlite3';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { ServiceError } from '../../../core/errors.ts';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import { isArmed } from '../../../registry/arming.ts';
import { Registry } from '../../../registry/registry.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
const NODES = ['county', 'town', 'village'] as const;

/**
 * Registry.isArmed answers without building the arming inputs (the counts ask it for every
 * household); it must give the same answer as the one definition in registry/arming.ts.
 */
describe('Registry.isArmed', () => {
  it('agrees with isArmed(armingInputs) for any quarantines and windows on the household and above it', async () => {
    const span = fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 10 }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(span, fc.boolean()), { maxLength: 3 }),
        fc.array(fc.tuple(span, fc.constantFrom('household', ...NODES)), { maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 32 }), { minLength: 1, maxLength: 8 }),
        async (quarantines, windows, hours) => {
          const db = new Database(':memory:');
          migrateSqlite(db, pino({ level: 'silent' }));
          const clock = new ManualClock(T0);
          const registry = new Registry(
            new SqliteStore(db),
            new EventBus<ServiceEvents>(pino({ level: 'silent' })),
            clock,
          );
          let parentId: string | null = null;
          for (const id of NODES) {
            await registry.createGridNode({ id, name: id, parentId, level: id }, { name: 'test' });
            parentId = id;
          }
          await registry.createHousehold({ id: 'h', gridId: 'village', address: 'a' }, { name: 'test' });
          // Quarantines that overlap one already there are refused (409): the rest are kept.
          for (const [[start, length], open] of quarantines)
            await registry
              .createQuarantine(
                {
                  householdId: 'h',
                  start: T0 + start * H,
                  ...(open ? {} : { end: T0 + (start + length) * H }),
                },
                { name: 'test' },
              )
              .catch((err: unknown) => {
                if (!(err instanceof ServiceError && err.code === 'conflict')) throw err;
              });
          for (const [[start, length], where] of windows)
            await registry.createWindow(
              {
                ...(where === 'household' ? { householdId: 'h' } : { gridId: where }),
                start: T0 + start * H,
                end: T0 + (start + length) * H,
                reason: 'r',
                by: 'b',
              },
              { name: 'test' },
            );
          for (const hour of hours) {
            const at = T0 + hour * H;
            expect(registry.isArmed('h', at)).toBe(isArmed(registry.armingInputs('h'), at));
          }
          db.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});
