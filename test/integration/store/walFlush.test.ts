/**
 * Ingest's group commit on SQLite syncs the write-ahead log on libuv's thread pool instead of inside
 * COMMIT on the event loop (storage/sqlite/walFlush.ts, issue 20.1). What must hold: the commit
 * resolves only after that sync (the PUBACK waits for it), every other write stays synchronous=FULL,
 * and a failed sync fails the group. Real SQLite files in a temporary directory.
 *
 * A power cut cannot be staged here: that a WAL frame written before a successful fdatasync() survives
 * one is the kernel's promise (fdatasync(2)), and that NORMAL differs from FULL in WAL mode only by the
 * sync at commit is SQLite's (https://www.sqlite.org/pragma.html#pragma_synchronous).
 *
 * Under a light load the sync runs on the event loop instead; a disk that stalls then sends the next
 * syncs back to the pool for a second. A stall cannot be made on demand here either: `StallingDisk`
 * is a DOUBLE of the two syncs that runs the real fdatasync and moves its own clock on as if it had
 * taken that long.
 */
import { fdatasync, fdatasyncSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { initialSealState } from '../../../core/sealState.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { WalFlush, type WalSyncs } from '../../../storage/sqlite/walFlush.ts';
import { track } from '../../helpers/promiseState.ts';
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

  it('under a light load, has the group durable before commitIngest returns; under load, syncs on the thread pool', async () => {
    const { store } = fileStore();
    // Settled after a few microtasks means synced in the call itself: a thread pool's answer is a
    // later loop turn's I/O callback.
    const microtasks = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    const light = track(store.commitIngest({ states: [stateAt(1)], doorEvents: [], light: true }));
    await microtasks();
    expect(light.state).toBe('resolved');
    const loaded = store.commitIngest({ states: [stateAt(2)], doorEvents: [], light: false });
    const underLoad = track(loaded);
    await microtasks();
    expect(underLoad.state).toBe('pending');
    await loaded;
    await store.close();
  });

  it('fails a light-load group whose WAL cannot be synced, as one synced on the pool', async () => {
    const { file, store } = fileStore();
    await store.commitIngest({ states: [stateAt(1)], doorEvents: [], light: true });
    renameSync(`${file}-wal`, `${file}-wal.moved`);
    await expect(store.commitIngest({ states: [stateAt(2)], doorEvents: [], light: true })).rejects.toThrow(
      /sealwatch\.db-wal/,
    );
    renameSync(`${file}-wal.moved`, `${file}-wal`);
    await store.commitIngest({ states: [stateAt(3)], doorEvents: [], light: true });
    await store.close();
  });

  it('after a sync on the event loop that took over 5 ms, syncs on the pool for a second, then on the loop again', async () => {
    const { db } = fileStore();
    const disk = new StallingDisk();
    const logged: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const flush = WalFlush.for(db, { syncs: disk, log }) as WalFlush;
    const update = db.prepare("UPDATE households SET address = ? WHERE id = 'h'");
    const commitHere = (n: number) =>
      flush.commit(
        db.transaction(() => update.run(`a${n}`)),
        true,
      );

    await commitHere(1);
    expect(disk.log).toEqual(['here']);
    disk.stallMs = 6;
    await commitHere(2);
    disk.stallMs = 0;
    await commitHere(3);
    disk.clock += 999;
    await commitHere(4);
    disk.clock += 1;
    await commitHere(5);
    expect(disk.log).toEqual(['here', 'here', 'pool', 'pool', 'here']);
    // The trip is counted for /metrics and logged once, with the WAL's path and how long it took.
    expect(flush.slowSyncs()).toEqual({ count: 1, slowestMs: 6 });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, code: 'wal_sync_slow', ms: 6 });
    expect(logged[0]?.walPath).toMatch(/sealwatch\.db-wal$/);
    expect(logged[0]?.msg).toContain('thread pool for the next 1 s');
    // A stall of 5 ms exactly is not over the limit.
    disk.stallMs = 5;
    await commitHere(6);
    disk.stallMs = 0;
    await commitHere(7);
    expect(disk.log.slice(5)).toEqual(['here', 'here']);
    expect(flush.slowSyncs().count).toBe(1);
    expect(logged).toHaveLength(1);
    db.close();
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

/** DOUBLE of the WAL's syncs (see the file's comment): the real fdatasync, and a clock the test moves. */
class StallingDisk implements WalSyncs {
  clock = 0;
  /** How long the next sync on the loop takes, by this clock. */
  stallMs = 0;
  readonly log: Array<'here' | 'pool'> = [];
  here(fd: number): void {
    this.log.push('here');
    fdatasyncSync(fd);
    this.clock += this.stallMs;
  }
  onPool(fd: number, done: (err: NodeJS.ErrnoException | null) => void): void {
    this.log.push('pool');
    fdatasync(fd, done);
  }
  now(): number {
    return this.clock;
  }
}
