/**
 * The vocabulary of the schema definition (definition.ts): tables, columns of a few abstract
 * types, keys, checks and indexes. Nothing here knows a dialect; renderDdl.ts turns it into
 * SQLite's or PostgreSQL's DDL.
 */

export type Dialect = 'sqlite' | 'postgres';

/**
 * What a column holds. `integer` is 64-bit in both (epoch ms, counters); `boolean` is 0/1 in
 * SQLite, which has no boolean; `json` is jsonb in PostgreSQL and text in SQLite (JSON that is
 * only matched with LIKE stays `text` in both); `serial` is the auto-numbered 64-bit primary key.
 * `transactionId` (xid8) and `timestamp` (timestamptz) exist only in PostgreSQL, for its own
 * tables (see Table.only).
 */
export type ColumnType =
  | 'text'
  | 'integer'
  | 'real'
  | 'boolean'
  | 'json'
  | 'serial'
  | 'transactionId'
  | 'timestamp';

/** A constant default, or an SQL expression written the same in every dialect the table is in. */
export type ColumnDefault = string | number | boolean | { sql: string };

export interface ForeignKey {
  table: string;
  column: string;
  /** What deleting the referenced row does to this one; the default refuses the delete. */
  onDelete?: 'cascade';
}

export interface Column {
  name: string;
  type: ColumnType;
  /** Columns are NOT NULL unless said otherwise. */
  nullable?: boolean;
  default?: ColumnDefault;
  references?: ForeignKey;
}

export interface IndexColumn {
  column: string;
  descending?: boolean;
}

export interface Index {
  name: string;
  table: string;
  columns: (string | IndexColumn)[];
  unique?: boolean;
  /** A partial index's predicate (SQL both dialects read alike). */
  where?: string;
}

export interface Table {
  name: string;
  columns: Column[];
  primaryKey: string[];
  /** Column sets that must be unique (each its own UNIQUE constraint). */
  unique?: string[][];
  /** CHECK expressions (SQL both dialects read alike). */
  checks?: string[];
  indexes?: Index[];
  /** A table one dialect only has, with the reason. */
  only?: { dialect: Dialect; why: string };
}

// ---- builders: keep definition.ts to one line per column

type ColumnOptions = Omit<Column, 'name' | 'type'>;

const column =
  (type: ColumnType) =>
  (name: string, options: ColumnOptions = {}): Column => ({ name, type, ...options });

export const text = column('text');
export const integer = column('integer');
export const real = column('real');
export const boolean = column('boolean');
export const json = column('json');
export const serial = column('serial');
export const transactionId = column('transactionId');
export const timestamp = column('timestamp');

/** `references('grid_nodes')` points at that table's `id`. */
export const references = (
  table: string,
  options: Omit<ForeignKey, 'table' | 'column'> & { column?: string } = {},
) =>
  ({
    table,
    column: options.column ?? 'id',
    ...(options.onDelete ? { onDelete: options.onDelete } : {}),
  }) satisfies ForeignKey;

export const desc = (column: string): IndexColumn => ({ column, descending: true });

export const indexColumn = (c: string | IndexColumn): IndexColumn =>
  typeof c === 'string' ? { column: c } : c;

/** The tables a dialect has, in creation order (a table after those it references). */
export const tablesOf = (tables: readonly Table[], dialect: Dialect): Table[] =>
  tables.filter((t) => !t.only || t.only.dialect === dialect);
