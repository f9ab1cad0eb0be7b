import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.ts';
import { initialSealState } from '../../../core/sealState.ts';
import { openDatabase } from '../../../registry/sqlite/openDatabase.ts';
import { SqliteStore } from '../../../registry/sqlite/sqliteStore.ts';

/**
 * Ingest's group commit runs with synchronous=NORMAL and fdatasyncs the WAL in the thread pool
 * (registry/sqlite/walSync.ts). Every other write must stay FULL, and what was committed must be
 * there when the file is opened again.
 */
describe('SQLite ingest commit: the fsync off the event loop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealwatch-walsync-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const logger = createLogger('silent');

  it('leaves the connection at synchronous=FULL, runs the inside-transaction callback, and the commit survives a reopen', async () => {
    const file = join(dir, 'sealwatch.db');
    const db = openDatabase(file, logger);
    const store = new SqliteStore(db);
    await store.importRecords({
      grid: [{ id: 'g', name: 'g', parentId: null, level: 'county', createdAt: 1 }],
      households: [{ id: 'h', gridId: 'g', address: 'a', contact: null, createdAt: 1, purgedAt: null }],
      sensors: [
        {
          id: 's',
          householdId: 'h',
          model: 'generic',
          friendlyName: null,
          commissioningUntil: null,
          createdAt: 1,
          secretHash: 'x',
        },
      ],
      quarantines: [],
    });
    let inside = 0;
    const ran = await store.commitIngest({ states: [], doorEvents: [], insideTransaction: () => inside++ });
    expect(ran).toBe(true);
    expect(inside).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL again for every other write
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    // The seal's state, committed the new way, is there after a reopen.
    const state = { ...initialSealState('s', 5), lastSeen: 5, messages: 1 };
    await expect(store.commitIngest({ states: [state], doorEvents: [] })).resolves.toBe(false);
    await store.close();
    const again = new SqliteStore(openDatabase(file, logger));
    expect((await again.loadSealStates()).map((x) => [x.sensorId, x.lastSeen, x.messages])).toEqual([
      ['s', 5, 1],
    ]);
    await again.close();
  });
});
