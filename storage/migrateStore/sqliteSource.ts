/**
 * The installation's SQLite database as the source of a move: opened read-only (nothing here can
 * write to it, not even a migration), checked to be at the schema this code defines, and read in
 * one transaction. SQLite runs in WAL mode, where a read transaction sees one snapshot from its
 * first read to its end: every table is copied as it was at one moment, even if something wrote
 * meanwhile.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ServiceError } from '../../core/errors.ts';
import { planMigrations } from '../schema/migrationPlan.ts';
import { quote } from '../schema/renderDdl.ts';
import type { Table } from '../schema/schemaTypes.ts';
import { SCHEMA_VERSION, STEPS } from '../schema/steps.ts';
import { LEGACY_MIGRATIONS } from '../sqlite/legacyMigrations.ts';
import type { SqliteValue } from './copyPlan.ts';
import { processesUsing } from './sourceInUse.ts';

export interface SqliteSource {
  readonly file: string;
  /** The rows of `table`, its definition's columns in their order, one array per row. */
  rows(table: Table): IterableIterator<SqliteValue[]>;
  /** How many rows `table` has. */
  count(table: Table): number;
  /** The highest number `column` (an AUTOINCREMENT key) ever took, even of rows deleted since. */
  highestSerial(table: Table, column: string): bigint;
  /** Ends the read transaction and closes the file. */
  close(): void;
}

export function openSqliteSource(file: string): SqliteSource {
  if (!existsSync(file)) {
    throw new ServiceError('config', `${file} does not exist: is --data-dir the installation's DATA_DIR?`, {
      file,
    });
  }
  // A read-only connection cannot remove the WAL and shared-memory files it had to create; those
  // would be left owned by whoever ran this (root, often), where the service's user may not open them.
  const leftovers = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    // The snapshot starts at the first read, the schema check's: everything after sees the same.
    db.exec('BEGIN');
    checkSchema(db, file);
  } catch (err) {
    db.close();
    removeEmptyLeftovers(file, leftovers);
    throw err;
  }
  return {
    file,
    rows(table) {
      const columns = table.columns.map((c) => quote(c.name)).join(', ');
      // rowid order is the order rows were written in: the cheapest to read, and for the one
      // self-referencing table the order parents were usually made in.
      return db
        .prepare(`SELECT ${columns} FROM ${quote(table.name)}`)
        .raw(true)
        .iterate() as IterableIterator<SqliteValue[]>;
    },
    count(table) {
      return Number(
        db
          .prepare(`SELECT count(*) FROM ${quote(table.name)}`)
          .pluck()
          .get() as bigint,
      );
    },
    highestSerial(table, column) {
      const max = db
        .prepare(`SELECT max(${quote(column)}) FROM ${quote(table.name)}`)
        .pluck()
        .get() as bigint | null;
      const seq = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table.name) as
        | bigint
        | undefined;
      const values = [max ?? 0n, seq ?? 0n];
      return values.reduce((a, b) => (b > a ? b : a));
    },
    close() {
      // Closing ends the read transaction (and any iterator an error left open) without writing.
      db.close();
      removeEmptyLeftovers(file, leftovers);
    },
  };
}

/**
 * The WAL files this connection made, once closed: an empty WAL holds nothing. Kept when any other
 * process has the database open (a service started meanwhile shares them) or when that is unknown.
 */
function removeEmptyLeftovers(file: string, files: string[]): void {
  const wal = files.find((f) => f.endsWith('-wal'));
  if (wal && existsSync(wal) && statSync(wal).size > 0) return;
  const inUse = processesUsing(file);
  if (!inUse.known || inUse.pids.length > 0) return;
  for (const f of files) rmSync(f, { force: true });
}

/**
 * The copy is driven by the definition: a database at another schema version would not have the
 * columns it names. The service brings its own database up to date at start, so that is the fix.
 */
function checkSchema(db: Database.Database, file: string): void {
  const hasVersions = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!hasVersions) {
    throw new ServiceError('config', `${file} is not a SealWatch database (no schema_migrations table)`, {
      file,
    });
  }
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').pluck().all() as bigint[]).map(Number),
  );
  const known = new Set([...LEGACY_MIGRATIONS.map((m) => m.version), ...STEPS.map((s) => s.version)]);
  const unknown = [...applied].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new ServiceError(
      'config',
      `${file} was written by a newer SealWatch (schema versions ${unknown.join(', ')}): run migrate-store from that version`,
      { file, unknown },
    );
  }
  const plan = planMigrations(applied, LEGACY_MIGRATIONS, STEPS);
  const missing = plan.kind === 'create' ? STEPS : [...plan.legacy, ...plan.steps];
  if (missing.length > 0) {
    throw new ServiceError(
      'config',
      `${file} is at an older schema than this SealWatch (${SCHEMA_VERSION}): start the service once with this version (it upgrades the database at start), stop it, then run migrate-store again`,
      { file, missing: missing.map((m) => m.version) },
    );
  }
}
