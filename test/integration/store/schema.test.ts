import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_MIGRATIONS as POSTGRES_LEGACY } from '../../../storage/postgres/legacyMigrations.ts';
import { openPool, type Pool } from '../../../storage/postgres/openPool.ts';
import { PostgresStore } from '../../../storage/postgres/postgresStore.ts';
import { TABLES } from '../../../storage/schema/definition.ts';
import { postgresShape, type Queryable } from '../../../storage/schema/postgresCatalog.ts';
import { quote } from '../../../storage/schema/renderDdl.ts';
import { neutralShape, shapeOfDefinition } from '../../../storage/schema/schemaShape.ts';
import { type Dialect, tablesOf } from '../../../storage/schema/schemaTypes.ts';
import { sqliteShape } from '../../../storage/schema/sqliteCatalog.ts';
import { opsFor } from '../../../storage/schema/stepOps.ts';
import { STEPS } from '../../../storage/schema/steps.ts';
import { LEGACY_MIGRATIONS as SQLITE_LEGACY } from '../../../storage/sqlite/legacyMigrations.ts';
import { openDatabase } from '../../../storage/sqlite/openDatabase.ts';
import { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';
import { type PostgresServer, postgresBinDir, startPostgres } from '../../helpers/postgres.ts';

/**
 * One schema source (storage/schema/definition.ts): a new database of either dialect is the
 * definition, the two dialects agree with each other, and databases made by the code before it
 * (test/fixtures/schema-cb74456, see its makeFixtures.ts) open with every row and end at the
 * definition. Shapes come from each database's own catalog (sqlite_master and pragmas;
 * information_schema, pg_constraint, pg_index).
 */

const logger = pino({ level: 'silent' });
const FIXTURES = fileURLToPath(new URL('../../fixtures/schema-cb74456/', import.meta.url));
const POSTGRES_ONLY = TABLES.filter((t) => t.only?.dialect === 'postgres').map((t) => t.name);
const STEP_VERSIONS = STEPS.map((s) => s.version);

let server: PostgresServer;
let dir: string;
let databases = 0;
const freshPostgresUrl = () => server.createDatabase(`schema_${++databases}`);

beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'sealwatch-schema-'));
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- reading databases as they are

type Rows = Record<string, unknown[]>;

/** Every row of every table, in primary-key order. */
function sqliteRows(db: Database.Database): Rows {
  const rows: Rows = {};
  for (const [table, shape] of Object.entries(sqliteShape(db).tables)) {
    rows[table] = db
      .prepare(`SELECT * FROM ${quote(table)} ORDER BY ${shape.primaryKey.map(quote).join(', ')}`)
      .all();
  }
  return rows;
}

async function postgresRows(db: Queryable): Promise<Rows> {
  const rows: Rows = {};
  for (const [table, shape] of Object.entries((await postgresShape(db)).tables)) {
    const order = shape.primaryKey.map(quote).join(', ');
    rows[table] = (await db.query(`SELECT * FROM ${quote(table)} ORDER BY ${order}`)).rows;
  }
  return rows;
}

/** A client that does not migrate, reading bigint as a number as the service's pool does. */
async function plainClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? Number : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
    },
  });
  await client.connect();
  return client;
}

const sqliteVersions = (db: Database.Database) =>
  (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map(
    (r) => r.version,
  );

const postgresVersions = async (db: Queryable) =>
  (
    (await db.query('SELECT version FROM schema_migrations ORDER BY version')).rows as { version: number }[]
  ).map((r) => r.version);

const tableNamesOf = (dialect: Dialect) =>
  tablesOf(TABLES, dialect)
    .map((t) => t.name)
    .sort();

/** Tables a step created after the fixtures were made: absent there, empty after the upgrade. */
const tablesCreatedBySteps = new Set(
  STEPS.flatMap((step) => opsFor(step, 'sqlite').concat(opsFor(step, 'postgres'))).flatMap((op) =>
    op.op === 'createTable' ? [op.table.name] : [],
  ),
);
const fixtureTableNamesOf = (dialect: Dialect) =>
  tableNamesOf(dialect).filter((t) => !tablesCreatedBySteps.has(t));

/** Nullable columns a step added to a fixture's table after it was made: null in its old rows. */
const columnsAddedBySteps = STEPS.flatMap((step) => opsFor(step, 'sqlite')).flatMap((op) =>
  op.op === 'addColumn' && op.column.nullable && op.column.default === undefined
    ? [{ table: op.table, column: op.column.name }]
    : [],
);

/**
 * The upgraded database's rows: the fixture's tables as they were (columns added since, checked to
 * be null, left out), the newer tables empty.
 */
const splitNewTables = (rows: Rows) => {
  const old: Rows = {};
  const added: Rows = {};
  for (const [table, list] of Object.entries(rows)) {
    if (tablesCreatedBySteps.has(table)) {
      added[table] = list;
      continue;
    }
    const extra = columnsAddedBySteps.filter((c) => c.table === table).map((c) => c.column);
    old[table] = list.map((row) => {
      const kept = { ...(row as Record<string, unknown>) };
      for (const column of extra) {
        expect(kept[column], `${table}.${column}`).toBeNull();
        delete kept[column];
      }
      return kept;
    }) as typeof list;
  }
  return { old, added };
};

// ---- a new database

describe('a new database is the definition', () => {
  it('SQLite and PostgreSQL have its tables, columns, types, nullability, defaults, keys, checks and indexes, and agree with each other', async () => {
    const db = openDatabase(join(dir, 'fresh.db'), logger);
    const pool = await openPool(await freshPostgresUrl(), logger, { max: 1 });
    try {
      const sqlite = sqliteShape(db);
      const postgres = await postgresShape(pool);
      expect(sqlite).toEqual(shapeOfDefinition(TABLES, 'sqlite'));
      expect(postgres).toEqual(shapeOfDefinition(TABLES, 'postgres'));
      // The same tables but for those of several instances on one PostgreSQL database ...
      expect(POSTGRES_ONLY).toEqual(['seal_feed', 'alerting_owner', 'mqtt_sessions', 'shared_secrets']);
      expect(Object.keys(postgres.tables).sort()).toEqual(
        [...Object.keys(sqlite.tables), ...POSTGRES_ONLY].sort(),
      );
      // ... and everything else alike once PostgreSQL's types are read as SQLite's.
      expect(neutralShape(postgres, 'postgres', POSTGRES_ONLY)).toEqual(neutralShape(sqlite, 'sqlite'));
      // Nothing of the frozen histories ran; every step counts as done.
      expect(sqliteVersions(db)).toEqual(STEP_VERSIONS);
      expect(await postgresVersions(pool)).toEqual(STEP_VERSIONS);
    } finally {
      db.close();
      await pool.end();
    }
  });

  it('the comparison sees a difference: a missing index, a changed check, a column type', async () => {
    const db = openDatabase(join(dir, 'altered.db'), logger);
    const pool = await openPool(await freshPostgresUrl(), logger, { max: 1 });
    try {
      db.exec('DROP INDEX tokens_grid');
      await pool.query('ALTER TABLE workers DROP CONSTRAINT workers_role_check');
      await pool.query("ALTER TABLE workers ADD CHECK (role IN ('worker', 'leader'))");
      await pool.query('ALTER TABLE alerts ALTER COLUMN count TYPE integer');
      const sqlite = sqliteShape(db);
      const postgres = await postgresShape(pool);
      expect(sqlite.indexes.tokens_grid).toBeUndefined();
      expect(sqlite).not.toEqual(shapeOfDefinition(TABLES, 'sqlite'));
      expect(postgres.tables.workers?.checks).toEqual(["role in ( 'worker' , 'leader' )"]);
      expect(postgres.tables.alerts?.columns.count?.type).toBe('integer');
      // (Without the tables only PostgreSQL has, whose transaction-id column would be reported first.)
      expect(() => neutralShape(postgres, 'postgres', POSTGRES_ONLY)).toThrow(
        /integer is not one of the definition's types/,
      );
    } finally {
      db.close();
      await pool.end();
    }
  });
});

// ---- databases made by the code before one schema source

describe('a database made by cb74456 (before one schema source) opens without loss', () => {
  it('SQLite: every row is still there, the schema is the definition, the new code reads and numbers on', async () => {
    const file = join(dir, 'cb74456.db');
    copyFileSync(join(FIXTURES, 'sealwatch.db'), file);
    const old = new Database(file);
    const before = sqliteRows(old);
    expect(sqliteVersions(old)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    old.close();
    expect(Object.keys(before).sort()).toEqual(fixtureTableNamesOf('sqlite'));
    for (const [table, rows] of Object.entries(before)) expect(rows.length, table).toBeGreaterThan(0);

    const db = openDatabase(file, logger);
    try {
      const after = splitNewTables(sqliteRows(db));
      expect(after.old).toEqual(before);
      for (const [table, rows] of Object.entries(after.added)) expect(rows, table).toEqual([]);
      expect(sqliteShape(db)).toEqual(shapeOfDefinition(TABLES, 'sqlite'));
      expect(sqliteVersions(db)).toEqual([1, 2, 3, 4, 5, 6, 7, ...STEP_VERSIONS]);

      const store = new SqliteStore(db);
      expect((await store.loadRegistry()).grid.map((g) => g.id)).toEqual(['county', 'village-1']);
      expect((await store.loadSealStates()).map((s) => [s.sensorId, s.online, s.recentSeqs])).toEqual([
        ['s1', true, [41, 42, 43]],
        ['s2', false, []],
      ]);
      const next = db
        .prepare(
          "INSERT INTO door_events (sensor_id, household_id, type, ts, received_at, dialect) VALUES ('s1', 'h1', 'open', 1, 1, 'native')",
        )
        .run();
      expect(next.lastInsertRowid).toBe(4);
    } finally {
      db.close();
    }
  });

  it('PostgreSQL (restored from pg_dump): every row is still there, the schema is the definition, keys number on', async () => {
    const url = await freshPostgresUrl();
    await promisify(execFile)(join(postgresBinDir(), 'psql'), [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-f',
      join(FIXTURES, 'postgres.sql'),
      url,
    ]);
    const client = await plainClient(url);
    let pool: Pool | undefined;
    try {
      const before = await postgresRows(client);
      expect(await postgresVersions(client)).toEqual([1, 2, 3, 4]);
      expect(Object.keys(before).sort()).toEqual(fixtureTableNamesOf('postgres'));
      for (const [table, rows] of Object.entries(before)) expect(rows.length, table).toBeGreaterThan(0);

      pool = await openPool(url, logger, { max: 2 });
      const after = splitNewTables(await postgresRows(client));
      expect(after.old).toEqual(before);
      for (const [table, rows] of Object.entries(after.added)) expect(rows, table).toEqual([]);
      expect(await postgresShape(client)).toEqual(shapeOfDefinition(TABLES, 'postgres'));
      expect(await postgresVersions(client)).toEqual([1, 2, 3, 4, ...STEP_VERSIONS]);

      expect((await new PostgresStore(pool).loadRegistry()).grid.map((g) => g.id)).toEqual([
        'county',
        'village-1',
      ]);
      // The keys that were bigserial (and the identity that was ALWAYS) go on after the last row.
      const inserted = async (statement: string) => Number((await pool!.query(statement)).rows[0].n);
      expect(
        await inserted(
          "INSERT INTO alert_changes (alert_id, kind, at, actor) VALUES ('a1', 'noted', 1, 'test') RETURNING seq AS n",
        ),
      ).toBe(4);
      expect(
        await inserted("INSERT INTO seal_feed (instance, events) VALUES ('i-c', '[]') RETURNING id AS n"),
      ).toBe(3);
      expect(
        await inserted(
          "INSERT INTO door_events (sensor_id, household_id, type, ts, received_at, dialect) VALUES ('s1', 'h1', 'open', 1, 1, 'native') RETURNING id AS n",
        ),
      ).toBe(4);
    } finally {
      await client.end();
      await pool?.end();
    }
  });

  it('an installation that stopped at an older version finishes its history, then converges', async () => {
    const file = join(dir, 'sqlite-v4.db');
    const old = new Database(file);
    old.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    for (const m of SQLITE_LEGACY.filter((m) => m.version <= 4)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    old.close();
    const db = openDatabase(file, logger);
    expect(sqliteShape(db)).toEqual(shapeOfDefinition(TABLES, 'sqlite'));
    expect(sqliteVersions(db)).toEqual([1, 2, 3, 4, 5, 6, 7, ...STEP_VERSIONS]);
    db.close();

    const url = await freshPostgresUrl();
    const client = await plainClient(url);
    try {
      await client.query(
        'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
      );
      for (const m of POSTGRES_LEGACY.filter((m) => m.version <= 2)) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
      }
      await (await openPool(url, logger, { max: 1 })).end();
      expect(await postgresShape(client)).toEqual(shapeOfDefinition(TABLES, 'postgres'));
      expect(await postgresVersions(client)).toEqual([1, 2, 3, 4, ...STEP_VERSIONS]);
    } finally {
      await client.end();
    }
  });
});
