/**
 * What a migration step may do, said once for both dialects. PostgreSQL does each with ALTER;
 * SQLite, which cannot alter a column or a CHECK, rebuilds the table (sqliteRebuild.ts).
 */
import type Database from 'better-sqlite3';
import {
  addColumnSql,
  columnType,
  createIndexSql,
  createTableWithIndexes,
  defaultSql,
  quote,
} from './renderDdl.ts';
import type { Column, Dialect, Index, Table } from './schemaTypes.ts';
import { rebuildSqliteTable } from './sqliteRebuild.ts';

export type Op =
  | { op: 'createTable'; table: Table }
  | { op: 'dropTable'; table: string }
  | { op: 'addColumn'; table: string; column: Column }
  /** A column's type, nullability and default; its reference is left as it is. */
  | { op: 'alterColumn'; table: string; column: Column }
  /** Replaces all CHECK constraints of a table. */
  | { op: 'setChecks'; table: string; checks: string[] }
  | { op: 'createIndex'; index: Index }
  | { op: 'dropIndex'; name: string }
  /** Anything else (moving data, most often), written for each dialect; a dialect left out does nothing. */
  | { op: 'sql'; sqlite?: string; postgres?: string };

export interface Step {
  /** From 100 up (1-99 are the frozen hand-written histories of each dialect). */
  version: number;
  name: string;
  /** The same operations for both dialects, or each dialect's own. */
  ops: Op[] | Record<Dialect, Op[]>;
}

export const createTable = (table: Table): Op => ({ op: 'createTable', table });
export const dropTable = (table: string): Op => ({ op: 'dropTable', table });
export const addColumn = (table: string, column: Column): Op => ({ op: 'addColumn', table, column });
export const alterColumn = (table: string, column: Column): Op => ({ op: 'alterColumn', table, column });
export const setChecks = (table: string, checks: string[]): Op => ({ op: 'setChecks', table, checks });
export const createIndex = (index: Index): Op => ({ op: 'createIndex', index });
export const dropIndex = (name: string): Op => ({ op: 'dropIndex', name });
export const sql = (perDialect: { sqlite?: string; postgres?: string }): Op => ({ op: 'sql', ...perDialect });

export const opsFor = (step: Step, dialect: Dialect): Op[] =>
  Array.isArray(step.ops) ? step.ops : step.ops[dialect];

/** An op as PostgreSQL statements. */
export function postgresStatements(op: Op): string[] {
  switch (op.op) {
    case 'createTable':
      return createTableWithIndexes(op.table, 'postgres');
    case 'dropTable':
      return [`DROP TABLE ${quote(op.table)}`];
    case 'addColumn':
      return [addColumnSql(op.table, op.column, 'postgres')];
    case 'alterColumn': {
      const { name, type, nullable } = op.column;
      if (type === 'serial') throw new Error('alterColumn cannot make a serial column');
      const spelled = columnType(type, 'postgres');
      const column = quote(name);
      const changes = [
        `ALTER COLUMN ${column} TYPE ${spelled} USING ${column}::${spelled}`,
        `ALTER COLUMN ${column} ${nullable ? 'DROP' : 'SET'} NOT NULL`,
        op.column.default === undefined
          ? `ALTER COLUMN ${column} DROP DEFAULT`
          : `ALTER COLUMN ${column} SET DEFAULT ${defaultSql(op.column.default, 'postgres')}`,
      ];
      return [`ALTER TABLE ${quote(op.table)} ${changes.join(', ')}`];
    }
    case 'setChecks': {
      const table = quote(op.table);
      // CHECKs have names PostgreSQL chose (workers_role_check, ...): drop whatever is there.
      const drop = `DO $$ DECLARE c record; BEGIN
        FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = '${table}'::regclass AND contype = 'c' LOOP
          EXECUTE format('ALTER TABLE ${table.replaceAll("'", "''")} DROP CONSTRAINT %I', c.conname);
        END LOOP;
      END $$`;
      return [drop, ...op.checks.map((check) => `ALTER TABLE ${table} ADD CHECK (${check})`)];
    }
    case 'createIndex':
      return [createIndexSql(op.index)];
    case 'dropIndex':
      return [`DROP INDEX ${quote(op.name)}`];
    case 'sql':
      return op.postgres ? [op.postgres] : [];
  }
}

/** Applies an op to a SQLite database (inside the caller's transaction, foreign keys off). */
export function applySqliteOp(db: Database.Database, op: Op): void {
  switch (op.op) {
    case 'createTable':
      for (const statement of createTableWithIndexes(op.table, 'sqlite')) db.exec(statement);
      return;
    case 'dropTable':
      db.exec(`DROP TABLE ${quote(op.table)}`);
      return;
    case 'addColumn':
      db.exec(addColumnSql(op.table, op.column, 'sqlite'));
      return;
    case 'alterColumn': {
      const changed = op.column;
      rebuildSqliteTable(db, op.table, (table) => ({
        ...table,
        columns: table.columns.map((c) => {
          if (c.name !== changed.name) return c;
          const { references, ...rest } = changed;
          return c.references ? { ...rest, references: c.references } : rest;
        }),
      }));
      return;
    }
    case 'setChecks':
      rebuildSqliteTable(db, op.table, (table) => ({ ...table, checks: op.checks }));
      return;
    case 'createIndex':
      db.exec(createIndexSql(op.index));
      return;
    case 'dropIndex':
      db.exec(`DROP INDEX ${quote(op.name)}`);
      return;
    case 'sql':
      if (op.sqlite) db.exec(op.sqlite);
      return;
  }
}
