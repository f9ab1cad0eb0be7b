import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Db } from '../../storage/sqlite/openDatabase.ts';
import { openDatabase } from '../../storage/sqlite/openDatabase.ts';
import { SqliteStore } from '../../storage/sqlite/sqliteStore.ts';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];

/**
 * A migrated SQLite file in a directory of its own, with one grid node `g`, one household `h` and the
 * given sensors on it: what ingest's commits need to write seal states. `removeSqliteFiles()` in an
 * afterEach deletes them.
 */
export function sqliteFileWithSensors(sensorIds: readonly string[]): {
  file: string;
  db: Db;
  store: SqliteStore;
} {
  const dir = mkdtempSync(join(tmpdir(), 'sealwatch-sqlite-'));
  dirs.push(dir);
  const file = join(dir, 'sealwatch.db');
  const db = openDatabase(file, logger);
  db.prepare(
    "INSERT INTO grid_nodes (id, name, parent_id, level, created_at) VALUES ('g', 'g', NULL, 'county', 0)",
  ).run();
  db.prepare("INSERT INTO households (id, grid_id, address, created_at) VALUES ('h', 'g', 'a', 0)").run();
  const sensor = db.prepare(
    "INSERT INTO sensors (id, household_id, model, secret_hash, created_at) VALUES (?, 'h', 'native', 'x', 0)",
  );
  for (const id of sensorIds) sensor.run(id);
  return { file, db, store: new SqliteStore(db) };
}

export function removeSqliteFiles(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
