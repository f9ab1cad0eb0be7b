import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../../../storage/postgres/migrate.ts';
import { openPool } from '../../../storage/postgres/openPool.ts';
import { TABLES } from '../../../storage/schema/definition.ts';
import { postgresShape } from '../../../storage/schema/postgresCatalog.ts';
import { createTableWithIndexes } from '../../../storage/schema/renderDdl.ts';
import { type SchemaShape, shapeOfDefinition } from '../../../storage/schema/schemaShape.ts';
import {
  boolean,
  integer,
  references,
  serial,
  type Table,
  tablesOf,
  text,
} from '../../../storage/schema/schemaTypes.ts';
import { sqliteShape } from '../../../storage/schema/sqliteCatalog.ts';
import {
  addColumn,
  alterColumn,
  createIndex,
  dropIndex,
  type Step,
  setChecks,
  sql,
} from '../../../storage/schema/stepOps.ts';
import { SCHEMA_VERSION, STEPS } from '../../../storage/schema/steps.ts';
import { migrateSqlite } from '../../../storage/sqlite/migrate.ts';
import { openDatabase } from '../../../storage/sqlite/openDatabase.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';

/**
 * The operations a migration step may use (storage/schema/stepOps.ts) give the same schema and
 * keep the same rows on both dialects: PostgreSQL alters, SQLite rebuilds the tables it cannot
 * alter. The step runs through the real runners, after the real steps, on a new database.
 */

const logger = pino({ level: 'silent' });

let server: PostgresServer;
let dir: string;

beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'sealwatch-schema-steps-'));
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Two tables to change: `children` references `parents` and deletes with it. */
const parents: Table = {
  name: 'parents',
  columns: [text('id'), text('name'), integer('age', { nullable: true })],
  primaryKey: ['id'],
  unique: [['name']],
  checks: ['age >= 0'],
  indexes: [{ name: 'parents_age', table: 'parents', columns: ['age'] }],
};
const children: Table = {
  name: 'children',
  columns: [
    serial('id'),
    text('parent_id', { references: references('parents', { onDelete: 'cascade' }) }),
    boolean('awake', { default: false }),
    text('note', { nullable: true }),
  ],
  primaryKey: ['id'],
  indexes: [{ name: 'children_parent', table: 'children', columns: ['parent_id'] }],
};

/** The step after the last real one (its number moves as steps are appended). */
const step101: Step = {
  version: SCHEMA_VERSION + 1,
  name: 'test: every kind of operation',
  ops: [
    setChecks('parents', ['age >= 0 AND age < 150']),
    sql({
      sqlite: "UPDATE children SET note = '' WHERE note IS NULL",
      postgres: "UPDATE children SET note = '' WHERE note IS NULL",
    }),
    alterColumn('children', text('note', { default: '' })),
    addColumn('parents', integer('born', { nullable: true })),
    dropIndex('parents_age'),
    createIndex({ name: 'children_note', table: 'children', columns: ['note'], where: "note <> ''" }),
  ],
};

/** What the two tables are after step 101. */
const after101: Table[] = [
  {
    ...parents,
    columns: [...parents.columns, integer('born', { nullable: true })],
    checks: ['age >= 0 AND age < 150'],
    indexes: [],
  },
  {
    ...children,
    columns: children.columns.map((c) => (c.name === 'note' ? text('note', { default: '' }) : c)),
    indexes: [
      ...(children.indexes ?? []),
      { name: 'children_note', table: 'children', columns: ['note'], where: "note <> ''" },
    ],
  },
];

const SCRATCH_ROWS = [
  "INSERT INTO parents (id, name, age) VALUES ('p1', 'Li', 30), ('p2', 'Wang', NULL)",
  "INSERT INTO children (parent_id, note) VALUES ('p1', 'a'), ('p2', NULL), ('p1', 'gone')",
  // The counter stays at 3 although the last row is gone: no number is handed out twice.
  'DELETE FROM children WHERE id = 3',
];

const definitionTables = tablesOf(TABLES, 'sqlite').map((t) => t.name);
const definitionTablesPostgres = tablesOf(TABLES, 'postgres').map((t) => t.name);

const only = (shape: SchemaShape, tables: readonly string[]): SchemaShape => ({
  tables: Object.fromEntries(Object.entries(shape.tables).filter(([name]) => tables.includes(name))),
  indexes: Object.fromEntries(Object.entries(shape.indexes).filter(([, i]) => tables.includes(i.table))),
});

describe('a step with every kind of operation', () => {
  it('SQLite: checks and a column changed by rebuilding, rows, references, indexes and the key counter kept', async () => {
    const db = openDatabase(join(dir, 'steps.db'), logger);
    try {
      for (const statement of [parents, children].flatMap((t) => createTableWithIndexes(t, 'sqlite')))
        db.exec(statement);
      for (const statement of SCRATCH_ROWS) db.exec(statement);

      migrateSqlite(db, logger, [...STEPS, step101]);

      expect(only(sqliteShape(db), ['parents', 'children'])).toEqual(shapeOfDefinition(after101, 'sqlite'));
      expect(only(sqliteShape(db), definitionTables)).toEqual(shapeOfDefinition(TABLES, 'sqlite'));
      expect(db.prepare('SELECT id, name, age, born FROM parents ORDER BY id').all()).toEqual([
        { id: 'p1', name: 'Li', age: 30, born: null },
        { id: 'p2', name: 'Wang', age: null, born: null },
      ]);
      expect(db.prepare('SELECT id, parent_id, awake, note FROM children ORDER BY id').all()).toEqual([
        { id: 1, parent_id: 'p1', awake: 0, note: 'a' },
        { id: 2, parent_id: 'p2', awake: 0, note: '' },
      ]);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.prepare("INSERT INTO children (parent_id) VALUES ('p2')").run().lastInsertRowid).toBe(4);
      expect(() => db.exec("INSERT INTO children (parent_id) VALUES ('nobody')")).toThrow(/FOREIGN KEY/);
      expect(() => db.exec("UPDATE parents SET age = 200 WHERE id = 'p1'")).toThrow(/CHECK/);
      db.exec("DELETE FROM parents WHERE id = 'p1'");
      expect(db.prepare('SELECT id FROM children ORDER BY id').all()).toEqual([{ id: 2 }, { id: 4 }]);
    } finally {
      db.close();
    }
  });

  it('PostgreSQL: the same step by ALTER, with the same result', async () => {
    const pool = await openPool(await server.createDatabase('steps'), logger, { max: 1 });
    try {
      for (const statement of [parents, children].flatMap((t) => createTableWithIndexes(t, 'postgres'))) {
        await pool.query(statement);
      }
      for (const statement of SCRATCH_ROWS) await pool.query(statement);

      await migratePostgres(pool, logger, [...STEPS, step101]);

      const shape = await postgresShape(pool);
      expect(only(shape, ['parents', 'children'])).toEqual(shapeOfDefinition(after101, 'postgres'));
      expect(only(shape, definitionTablesPostgres)).toEqual(shapeOfDefinition(TABLES, 'postgres'));
      expect((await pool.query('SELECT id, name, age, born FROM parents ORDER BY id')).rows).toEqual([
        { id: 'p1', name: 'Li', age: 30, born: null },
        { id: 'p2', name: 'Wang', age: null, born: null },
      ]);
      expect((await pool.query('SELECT id, parent_id, awake, note FROM children ORDER BY id')).rows).toEqual([
        { id: 1, parent_id: 'p1', awake: false, note: 'a' },
        { id: 2, parent_id: 'p2', awake: false, note: '' },
      ]);
      expect((await pool.query("INSERT INTO children (parent_id) VALUES ('p2') RETURNING id")).rows).toEqual([
        { id: 4 },
      ]);
      await expect(pool.query("INSERT INTO children (parent_id) VALUES ('nobody')")).rejects.toThrow(
        /foreign key/,
      );
      await expect(pool.query("UPDATE parents SET age = 200 WHERE id = 'p1'")).rejects.toThrow(
        /check constraint/,
      );
      await pool.query("DELETE FROM parents WHERE id = 'p1'");
      expect((await pool.query('SELECT id FROM children ORDER BY id')).rows).toEqual([{ id: 2 }, { id: 4 }]);
    } finally {
      await pool.end();
    }
  });
});
