/**
 * The PostgreSQL side of a move: is the database empty, write a batch of rows, continue the
 * auto-numbered keys after them, read a table back to check it. All on one client, inside the
 * transaction migrateStore.ts holds.
 */
import type pg from 'pg';
import { TABLES } from '../schema/definition.ts';
import { quote } from '../schema/renderDdl.ts';
import { type Table, tablesOf } from '../schema/schemaTypes.ts';
import { postgresArrayType } from './copyPlan.ts';
import { RowDigest } from './rowDigest.ts';

export type Queryable = Pick<pg.ClientBase, 'query'>;

/** Our tables (the definition's, PostgreSQL's own included) that exist in the database and hold rows. */
export async function tablesWithRows(db: Queryable, tables: readonly Table[] = TABLES): Promise<string[]> {
  const found: string[] = [];
  for (const table of tablesOf(tables, 'postgres')) {
    const { rows } = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [
      quote(table.name),
    ]);
    if (!rows[0]?.present) continue;
    const { rows: any } = await db.query<{ some: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${quote(table.name)}) AS some`,
    );
    if (any[0]?.some) found.push(table.name);
  }
  return found;
}

/**
 * Writes `rows` (values already converted, in the definition's column order) with one statement:
 * one array per column, unnested by PostgreSQL, so a batch of any size is as many parameters as
 * the table has columns. OVERRIDING SYSTEM VALUE keeps the copied keys of identity columns.
 */
export async function insertBatch(db: Queryable, table: Table, rows: readonly unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const names = table.columns.map((c) => quote(c.name)).join(', ');
  const arrays = table.columns.map((c, i) => `$${i + 1}::${postgresArrayType(c.type)}[]`).join(', ');
  const overriding = table.columns.some((c) => c.type === 'serial') ? ' OVERRIDING SYSTEM VALUE' : '';
  const values = table.columns.map((_, i) => rows.map((r) => r[i] ?? null));
  await db.query(
    `INSERT INTO ${quote(table.name)} (${names})${overriding} SELECT * FROM unnest(${arrays})`,
    values,
  );
}

/** The next number `column` hands out is `highest + 1` (1 for a table that never had a row). */
export async function continueSerial(
  db: Queryable,
  table: Table,
  column: string,
  highest: bigint,
): Promise<void> {
  await db.query('SELECT setval(pg_get_serial_sequence($1, $2), $3::bigint, $4)', [
    quote(table.name),
    column,
    (highest > 0n ? highest : 1n).toString(),
    highest > 0n,
  ]);
}

/** The table's digest as PostgreSQL holds it, read through a cursor `batch` rows at a time. */
export async function digestTable(
  db: Queryable,
  table: Table,
  batch: number,
  onRows: (read: number) => void = () => {},
): Promise<RowDigest> {
  const digest = new RowDigest(table.columns.map((c) => c.type));
  const cursor = quote(`migrate_store_${table.name}`);
  // jsonb as its text, which the digest parses as it parses SQLite's: parsed by the driver, a JSON
  // string (seal_state.recent_seqs, storage/dedupWindowText.ts) would look like text to parse again.
  const columns = table.columns
    .map((c) => (c.type === 'json' ? `${quote(c.name)}::text` : quote(c.name)))
    .join(', ');
  await db.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${columns} FROM ${quote(table.name)}`);
  for (;;) {
    const { rows } = await db.query<unknown[]>({ text: `FETCH ${batch} FROM ${cursor}`, rowMode: 'array' });
    for (const row of rows) digest.add(row);
    if (rows.length > 0) onRows(digest.rows);
    if (rows.length < batch) break;
  }
  await db.query(`CLOSE ${cursor}`);
  return digest;
}
