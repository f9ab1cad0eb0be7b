/**
 * What a SQLite database has, read from sqlite_master and the table pragmas: as a comparable shape
 * (tests), and one table as a definition to rebuild it from (sqliteRebuild.ts). CHECKs and partial
 * index predicates exist only in the stored CREATE text, so they are cut out of it.
 */
import type Database from 'better-sqlite3';
import {
  indexColumnShape,
  normalizeExpression,
  parenthesised,
  type SchemaShape,
  sortedTable,
  type TableShape,
  tokenize,
} from './schemaShape.ts';
import type { Column, ColumnType, Table } from './schemaTypes.ts';

type Db = Database.Database;

/** Tables that belong to the migration runner or to SQLite itself. */
const NOT_SCHEMA = new Set(['schema_migrations', 'sqlite_sequence']);

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

interface ForeignKeyInfo {
  id: number;
  seq: number;
  table: string;
  from: string;
  to: string;
  on_delete: string;
}

export interface SqliteIndexFacts {
  name: string;
  sql: string;
  unique: boolean;
  columns: { column: string; descending: boolean }[];
  where: string | null;
}

export interface SqliteTableFacts {
  name: string;
  sql: string;
  columns: ColumnInfo[];
  /** The table's sole integer key is AUTOINCREMENT. */
  autoincrement: boolean;
  foreignKeys: { columns: string[]; table: string; references: string[]; onDelete: string }[];
  unique: string[][];
  /** CHECK expressions as written. */
  checks: string[];
  /** Indexes created by CREATE INDEX (not those of a key or UNIQUE). */
  indexes: SqliteIndexFacts[];
}

export function tableNames(db: Db): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  )
    .map((r) => r.name)
    .filter((name) => !NOT_SCHEMA.has(name));
}

/** The text inside each CHECK ( ... ) of a CREATE TABLE. */
function checksOf(sql: string): string[] {
  const tokens = tokenize(sql);
  const checks: string[] = [];
  for (let i = 0; i < tokens.length - 1; i++) {
    if (tokens[i]!.text.toLowerCase() === 'check' && tokens[i + 1]!.text === '(') {
      const { inner, close } = parenthesised(sql, tokens, i + 1);
      checks.push(inner);
      i = close;
    }
  }
  return checks;
}

/** The predicate after a CREATE INDEX's WHERE, or null. */
function predicateOf(sql: string): string | null {
  const where = tokenize(sql).find((t) => t.text.toLowerCase() === 'where');
  return where ? sql.slice(where.end).trim() : null;
}

export function readSqliteTable(db: Db, name: string): SqliteTableFacts {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as
    | { sql: string }
    | undefined;
  if (!row) throw new Error(`no table ${name}`);
  const columns = db.pragma(`table_info(${JSON.stringify(name)})`) as ColumnInfo[];
  const keys = columns.filter((c) => c.pk > 0);
  const fkRows = db.pragma(`foreign_key_list(${JSON.stringify(name)})`) as ForeignKeyInfo[];
  const foreignKeys = [...new Set(fkRows.map((f) => f.id))].map((id) => {
    const parts = fkRows.filter((f) => f.id === id).sort((a, b) => a.seq - b.seq);
    return {
      columns: parts.map((p) => p.from),
      table: parts[0]!.table,
      references: parts.map((p) => p.to),
      onDelete: parts[0]!.on_delete.toLowerCase(),
    };
  });
  const indexList = db.pragma(`index_list(${JSON.stringify(name)})`) as {
    name: string;
    unique: number;
    origin: string;
  }[];
  const keyColumns = (index: string) =>
    (
      db.pragma(`index_xinfo(${JSON.stringify(index)})`) as {
        name: string;
        desc: number;
        key: number;
        seqno: number;
      }[]
    )
      .filter((c) => c.key === 1)
      .sort((a, b) => a.seqno - b.seqno)
      .map((c) => ({ column: c.name, descending: c.desc === 1 }));
  const indexes = indexList
    .filter((i) => i.origin === 'c')
    .map((i) => {
      const { sql } = db
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
        .get(i.name) as {
        sql: string;
      };
      return {
        name: i.name,
        sql,
        unique: i.unique === 1,
        columns: keyColumns(i.name),
        where: predicateOf(sql),
      };
    });
  return {
    name,
    sql: row.sql,
    columns,
    autoincrement:
      keys.length === 1 && tokenize(row.sql).some((t) => t.text.toLowerCase() === 'autoincrement'),
    foreignKeys,
    unique: indexList.filter((i) => i.origin === 'u').map((i) => keyColumns(i.name).map((c) => c.column)),
    checks: checksOf(row.sql),
    indexes,
  };
}

function tableShape(facts: SqliteTableFacts): TableShape {
  const keys = facts.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  const columns: TableShape['columns'] = {};
  for (const c of facts.columns) {
    const serial = facts.autoincrement && c.pk > 0;
    columns[c.name] = {
      type: `${c.type.toUpperCase()}${serial ? ' PRIMARY KEY AUTOINCREMENT' : ''}`,
      // A key column counts as NOT NULL (see renderDdl.ts on SQLite's nullable text keys).
      notNull: c.notnull === 1 || c.pk > 0,
      default: c.dflt_value === null ? null : normalizeExpression(c.dflt_value),
    };
  }
  return sortedTable({
    columns,
    primaryKey: keys.map((c) => c.name),
    unique: facts.unique,
    foreignKeys: facts.foreignKeys,
    checks: facts.checks.map(normalizeExpression),
  });
}

/** The whole database as a comparable shape. */
export function sqliteShape(db: Db): SchemaShape {
  const shape: SchemaShape = { tables: {}, indexes: {} };
  for (const name of tableNames(db)) {
    const facts = readSqliteTable(db, name);
    shape.tables[name] = tableShape(facts);
    for (const index of facts.indexes) {
      shape.indexes[index.name] = {
        table: name,
        unique: index.unique,
        columns: index.columns.map((c) => indexColumnShape(c.column, c.descending)),
        where: index.where === null ? null : normalizeExpression(index.where),
      };
    }
  }
  return shape;
}

const SQLITE_TYPES: Record<string, ColumnType> = { INTEGER: 'integer', TEXT: 'text', REAL: 'real' };

/**
 * A live table as a definition that renders back to the same table (a boolean or json column
 * reads as integer or text, which SQLite spells alike). Defaults stay SQL as stored.
 */
export function tableDefinition(facts: SqliteTableFacts): Table {
  const keys = facts.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  const columns = facts.columns.map((c): Column => {
    const type = facts.autoincrement && c.pk > 0 ? 'serial' : SQLITE_TYPES[c.type.toUpperCase()];
    if (!type)
      throw new Error(`${facts.name}.${c.name}: SQLite type ${c.type} is not one of the definition's`);
    const fk = facts.foreignKeys.find((f) => f.columns.includes(c.name));
    if (fk && (fk.columns.length > 1 || !['no action', 'cascade'].includes(fk.onDelete))) {
      throw new Error(`${facts.name}: a foreign key the definition cannot state (${JSON.stringify(fk)})`);
    }
    return {
      name: c.name,
      type,
      ...(c.notnull === 0 ? { nullable: true } : {}),
      ...(c.dflt_value === null ? {} : { default: { sql: c.dflt_value } }),
      ...(fk
        ? {
            references: {
              table: fk.table,
              column: fk.references[0]!,
              ...(fk.onDelete === 'cascade' ? { onDelete: 'cascade' as const } : {}),
            },
          }
        : {}),
    };
  });
  return {
    name: facts.name,
    columns,
    primaryKey: keys.map((c) => c.name),
    unique: facts.unique,
    checks: facts.checks,
  };
}
