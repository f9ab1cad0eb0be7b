/**
 * Ingest's group commit on SQLite syncs the write-ahead log on libuv's thread pool instead of inside
 * COMMIT on the event loop (storage/sqlite/walFlush.ts, issue 20.1). What must hold: the commit
 * resolves only after that sync (the PUBACK waits for it), every other write stays synchronous=FULL,
 * and a failed sync fails the group. Real SQLite files in a temporary directory.
 *
 * A power cut cannot be staged here: that a WAL frame written before a successful fdatasync() survives
 * one is the kernel's promise (fdatasync(2)), and that NORMAL differs from FULL in WAL mode only by the
 * sync at commit is SQLite's (https://www.sqlite.org/pragma.html#pragma_synchronous).
 */
import { renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { initialSealState } from '../../../core/sealState.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { WalFlush } from '../../../storage/sqlite/walFlush.ts';
import { removeSqliteFiles, sqliteFileWithSensors } from '../../helpers/sqliteFile.ts';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 11, 5, 6, 0, 0);

const fileStore = () => sqliteFileWithSensors(['s']);

const stateAt = (messages: number) => ({ ...initialSealState('s', T0), messages, updatedAt: T0 + messages });

afterEach(removeSqliteFiles);

describe('SQLite ingest commit with the WAL synced off the event loop', () => {
  it('commits a group that another connection reads, and leaves the connection on synchronous=FULL', async () => {
    const { file, db, store } = fileStore();
    let insideRan = false;
    const decided = await store.commitIngest({
      states: [stateAt(7)],
      doorEvents: [
        { sensorId: 's', householdId: 'h', type: 'open', ts: T0, receivedAt: T0, seq: 1, dialect: 'native' },
      ],
      insideTransaction: () => {
        // Inside the group's transaction, SQLite's own sync at commit is off: the flush does it.
        expect(db.pragma('synchronous', { simple: true })).toBe(1);
        insideRan = true;
      },
    });
    expect(decided).toBe(true);
    expect(insideRan).toBe(true);
    // API writes and alerting's timers write on this connection too: they keep FULL.
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    const reader = new Database(file, { readonly: true });
    try {
      expect(reader.prepare("SELECT messages FROM seal_state WHERE sensor_id = 's'").get()).toEqual({
        messages: 7,
      });
      expect(reader.prepare('SELECT count(*) AS n FROM door_events').get()).toEqual({ n: 1 });
    } finally {
      reader.close();
    }
    await store.close();
  });

  it('fails the group when the WAL cannot be synced, so no PUBACK goes out for it', async () => {
    const { file, db, store } = fileStore();
    await store.commitIngest({ states: [stateAt(1)], doorEvents: [] });
    // SQLite keeps writing through its own descriptor; the flush finds no WAL at the path and
    // cannot vouch for the group. Without the flush in the commit path this would resolve.
    renameSync(`${file}-wal`, `${file}-wal.moved`);
    await expect(store.commitIngest({ states: [stateAt(2)], doorEvents: [] })).rejects.toThrow(
      /sealwatch\.db-wal/,
    );
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    renameSync(`${file}-wal.moved`, `${file}-wal`);
    await store.commitIngest({ states: [stateAt(3)], doorEvents: [] });
    await store.close();
  });

  it('restores synchronous=FULL when the group itself fails, and throws before returning', async () => {
    const { db, store } = fileStore();
    // Thrown, not rejected (appliesIngestBeforeReturning): the pipeline never builds the next group
    // on one that was rolled back.
    expect(() =>
      store.commitIngest({
        states: [stateAt(1)],
        doorEvents: [],
        insideTransaction: () => {
          throw new Error('decision failed');
        },
      }),
    ).toThrow('decision failed');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.prepare('SELECT count(*) AS n FROM seal_state').get()).toEqual({ n: 0 });
    await store.close();
  });

  it('leaves a database in memory, or one not on FULL, to SQLite', () => {
    const memory = new Database(':memory:');
    migrateSqlite(memory, logger);
    expect(WalFlush.for(memory)).toBeNull();
    const { db } = fileStore();
    expect(WalFlush.for(db)).not.toBeNull();
    db.pragma('synchronous = NORMAL');
    expect(WalFlush.for(db)).toBeNull();
    db.close();
  });
});
