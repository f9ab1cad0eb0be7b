/**
 * What moving an installation from SQLite to PostgreSQL copies, read from the schema definition
 * (storage/schema/definition.ts) and nothing else: a table added there later is copied without a
 * change here. Every table both dialects have is copied, column by column as the definition names
 * them, in an order where each table comes after the tables it references. The tables only
 * PostgreSQL has are the several instances' coordination; SQLite never had their rows, so they
 * start empty (the one exception, the acknowledge-link key, is migrateStore.ts's to write).
 */
import { ServiceError } from '../../core/errors.ts';
import { TABLES } from '../schema/definition.ts';
import type { Column, ColumnType, Table } from '../schema/schemaTypes.ts';

/** A table to copy: its definition, and the column whose values reference its own rows, if any. */
export interface TableCopy {
  table: Table;
  /**
   * A column referencing this same table (grid_nodes.parent_id): PostgreSQL checks references at
   * the end of each INSERT, so a parent must be in the same batch as its children or an earlier one.
   */
  selfReference: Column | null;
  /** The auto-numbered key, whose sequence must continue past the copied rows. */
  serial: Column | null;
}

/** Tables the definition gives both dialects, each after the tables it references. */
export function tablesToCopy(tables: readonly Table[] = TABLES): TableCopy[] {
  const shared = tables.filter((t) => !t.only);
  const byName = new Map(shared.map((t) => [t.name, t]));
  const ordered: Table[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (table: Table) => {
    if (placed.has(table.name)) return;
    if (visiting.has(table.name)) {
      throw new ServiceError('internal', `tables reference each other in a cycle through ${table.name}`);
    }
    visiting.add(table.name);
    for (const c of table.columns) {
      const target = c.references && c.references.table !== table.name && byName.get(c.references.table);
      if (target) place(target);
    }
    visiting.delete(table.name);
    placed.add(table.name);
    ordered.push(table);
  };
  for (const t of shared) place(t);
  return ordered.map((table) => ({
    table,
    selfReference: table.columns.find((c) => c.references?.table === table.name) ?? null,
    serial: table.columns.find((c) => c.type === 'serial') ?? null,
  }));
}

/** The tables only PostgreSQL has: nothing to copy from SQLite, and why. */
export const postgresOnlyTables = (tables: readonly Table[] = TABLES): { name: string; why: string }[] =>
  tables.filter((t) => t.only?.dialect === 'postgres').map((t) => ({ name: t.name, why: t.only?.why ?? '' }));

/** A SQLite value as read with safe integers: INTEGER columns come back as bigint. */
export type SqliteValue = string | number | bigint | Buffer | null;

/**
 * A SQLite value as the PostgreSQL column of the same definition takes it, in the array handed to
 * `unnest($n::<type>[])`. 64-bit integers travel as decimal text, never through a JS number.
 */
export function toPostgres(
  type: ColumnType,
  value: SqliteValue,
  where: string,
): string | number | boolean | null {
  if (value === null) return null;
  switch (type) {
    case 'text':
    case 'json':
      if (typeof value === 'string') return value;
      break;
    case 'integer':
    case 'serial':
      if (typeof value === 'bigint') return value.toString();
      // An INTEGER column holds a REAL when something wrote one (SQLite does not refuse it).
      if (typeof value === 'number' && Number.isInteger(value)) return String(value);
      break;
    case 'real':
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      break;
    case 'boolean':
      // SQLite has no boolean: the stores write 0 and 1.
      if (value === 0n || value === 1n) return value === 1n;
      break;
    case 'transactionId':
    case 'timestamp':
      // Only in PostgreSQL's own tables (Table.only), which are never copied from SQLite.
      break;
  }
  throw new ServiceError('internal', `${where}: cannot copy ${describe(value)} into a ${type} column`, {
    where,
    type,
  });
}

const describe = (value: SqliteValue): string =>
  Buffer.isBuffer(value) ? `a ${value.length}-byte blob` : `${typeof value} ${String(value).slice(0, 40)}`;

/** The element type of the array a column's values are sent in (`unnest($1::bigint[])`). */
export function postgresArrayType(type: ColumnType): string {
  switch (type) {
    case 'text':
      return 'text';
    case 'integer':
    case 'serial':
      return 'bigint';
    case 'real':
      return 'double precision';
    case 'boolean':
      return 'boolean';
    case 'json':
      return 'jsonb';
    default:
      throw new ServiceError('internal', `a ${type} column is not copied from SQLite`);
  }
}
