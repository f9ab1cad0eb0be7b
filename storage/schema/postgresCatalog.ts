/**
 * What a PostgreSQL database has (its current schema), as a comparable shape: columns from
 * information_schema, keys and checks from pg_constraint, indexes from pg_index (those that back
 * no constraint), expressions as PostgreSQL prints them, normalised by schemaShape.ts.
 */
import {
  indexColumnShape,
  normalizeExpression,
  type SchemaShape,
  sortedTable,
  type TableShape,
} from './schemaShape.ts';

/** A pg Pool or Client. */
export interface Queryable {
  // biome-ignore lint/suspicious/noExplicitAny: catalog rows, typed where read
  query(sql: string): Promise<{ rows: any[] }>;
}

const TABLES = `
  SELECT table_name AS name FROM information_schema.tables
  WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`;

const COLUMNS = `
  SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, identity_generation
  FROM information_schema.columns WHERE table_schema = current_schema()`;

const CONSTRAINTS = `
  SELECT t.relname AS table_name, c.contype, pg_get_constraintdef(c.oid) AS definition,
    ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
    f.relname::text AS foreign_table,
    ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS foreign_columns,
    c.confdeltype
  FROM pg_constraint c
  JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  LEFT JOIN pg_class f ON f.oid = c.confrelid
  WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u', 'f', 'c')`;

const INDEXES = `
  SELECT i.relname AS name, t.relname AS table_name, x.indisunique AS is_unique,
    ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) || CASE WHEN x.indoption[k - 1] & 1 = 1 THEN ' desc' ELSE '' END
          FROM generate_series(1, x.indnkeyatts) k ORDER BY k) AS columns,
    pg_get_expr(x.indpred, x.indrelid, true) AS predicate
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE n.nspname = current_schema() AND t.relname <> 'schema_migrations'
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = x.indrelid AND c.conindid = x.indexrelid)`;

const ON_DELETE: Record<string, string> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
};

export async function postgresShape(db: Queryable): Promise<SchemaShape> {
  const tables: Record<string, TableShape> = {};
  for (const { name } of (await db.query(TABLES)).rows as { name: string }[]) {
    tables[name] = { columns: {}, primaryKey: [], unique: [], foreignKeys: [], checks: [] };
  }
  for (const c of (await db.query(COLUMNS)).rows) {
    const table = tables[c.table_name];
    if (!table) continue;
    const identity = c.is_identity === 'YES' ? ` GENERATED ${c.identity_generation} AS IDENTITY` : '';
    table.columns[c.column_name] = {
      type: `${c.data_type}${identity}`,
      notNull: c.is_nullable === 'NO',
      default: c.column_default === null ? null : normalizeExpression(c.column_default),
    };
  }
  for (const c of (await db.query(CONSTRAINTS)).rows) {
    const table = tables[c.table_name];
    if (!table) continue;
    if (c.contype === 'p') table.primaryKey = c.columns;
    else if (c.contype === 'u') table.unique.push(c.columns);
    else if (c.contype === 'c')
      table.checks.push(normalizeExpression(String(c.definition).replace(/^CHECK /, '')));
    else {
      table.foreignKeys.push({
        columns: c.columns,
        table: c.foreign_table,
        references: c.foreign_columns,
        onDelete: ON_DELETE[c.confdeltype] ?? c.confdeltype,
      });
    }
  }
  const indexes: SchemaShape['indexes'] = {};
  for (const i of (await db.query(INDEXES)).rows) {
    indexes[i.name] = {
      table: i.table_name,
      unique: i.is_unique,
      columns: (i.columns as string[]).map((c) => indexColumnShape(c, false)),
      where: i.predicate === null ? null : normalizeExpression(i.predicate),
    };
  }
  for (const [name, table] of Object.entries(tables)) tables[name] = sortedTable(table);
  return { tables, indexes };
}
