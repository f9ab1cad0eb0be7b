/**
 * The WAL is checkpointed by a worker thread's connection, not inside the service's commits
 * (storage/sqlite/walCheckpointer.ts, issue 20.1). What must hold: under steady writes the WAL stays
 * small (the writer starts it over once the worker has copied everything), although the service's own
 * automatic checkpoint is only a far-off backstop; the data is in the database file; stop() ends the
 * worker so that the service's close is the last and removes the WAL. Real SQLite files.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { initialSealState } from '../../../core/sealState.ts';
import type { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';
import { WalCheckpointer } from '../../../storage/sqlite/walCheckpointer.ts';
import { removeSqliteFiles, sqliteFileWithSensors } from '../../helpers/sqliteFile.ts';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 11, 5, 6, 0, 0);
const SENSORS = 200;

const fileStore = () => sqliteFileWithSensors(Array.from({ length: SENSORS }, (_, i) => `s${i}`));

/** One group per round: every sensor's state, as ingest commits it under load. */
async function commitRounds(store: SqliteStore, rounds: number, from = 0): Promise<void> {
  for (let r = from; r < from + rounds; r++) {
    const states = Array.from({ length: SENSORS }, (_, i) => ({
      ...initialSealState(`s${i}`, T0),
      recentSeqs: Array.from({ length: 16 }, (_, k) => r * 100 + k),
      messages: r,
      updatedAt: T0 + r,
    }));
    await store.commitIngest({ states, doorEvents: [] });
    // Ingest's gathering gap between groups.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

afterEach(removeSqliteFiles);

describe('WAL checkpoints from a worker thread', () => {
  it('keeps the WAL small under steady commits while the service connection only has a far backstop', async () => {
    const { file, db, store } = fileStore();
    const checkpointer = WalCheckpointer.start(db, logger);
    expect(checkpointer).not.toBeNull();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    let largest = 0;
    for (let step = 0; step < 25; step++) {
      await commitRounds(store, 40, step * 40);
      largest = Math.max(largest, statSync(`${file}-wal`).size);
    }
    // 1,000 groups write about 8,500 pages to the WAL: without the worker it holds them all (the
    // backstop is 10,000 pages); started over after each full checkpoint, it stayed at 1,150–1,500
    // pages here, also with four busy processes beside it.
    expect(largest).toBeLessThan(3_000 * pageSize);
    expect(checkpointer!.checkpointStats().checkpoints).toBeGreaterThan(0);
    await checkpointer!.stop();
    await store.close();
    // The service's close was the last: SQLite checkpointed the rest and removed the WAL.
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reader = new Database(file, { readonly: true });
    try {
      expect(reader.prepare("SELECT messages FROM seal_state WHERE sensor_id = 's7'").get()).toEqual({
        messages: 999,
      });
    } finally {
      reader.close();
    }
  });

  it('leaves a database in memory to SQLite', () => {
    expect(WalCheckpointer.start(new Database(':memory:'), logger)).toBeNull();
  });
});
