/**
 * SQLite's way to change a column or a CHECK: a new table with the changed definition, the rows
 * copied, the old table dropped and the new one renamed (https://sqlite.org/lang_altertable.html,
 * "Making Other Kinds Of Table Schema Changes"). The caller holds a transaction with foreign
 * keys OFF: with them on, dropping the old table would delete or refuse the rows that reference
 * it (gateway_sensors cascades from gateways). References from other tables name the table, not
 * the copy, so they point at the new table once it has the old name.
 */
import type Database from 'better-sqlite3';
import { createTableSql, quote } from './renderDdl.ts';
import type { Table } from './schemaTypes.ts';
import { readSqliteTable, tableDefinition } from './sqliteCatalog.ts';

export function rebuildSqliteTable(
  db: Database.Database,
  name: string,
  change: (table: Table) => Table,
): void {
  if (db.pragma('foreign_keys', { simple: true }) !== 0) {
    throw new Error(`rebuilding ${name} needs foreign_keys = OFF (set outside the transaction)`);
  }
  const facts = readSqliteTable(db, name);
  const target = change(tableDefinition(facts));
  const copy = `${name}__rebuild`;
  db.exec(createTableSql(target, 'sqlite', copy));
  const kept = target.columns.map((c) => c.name).filter((c) => facts.columns.some((old) => old.name === c));
  const columns = kept.map(quote).join(', ');
  db.exec(`INSERT INTO ${quote(copy)} (${columns}) SELECT ${columns} FROM ${quote(name)}`);
  // AUTOINCREMENT never hands out a number twice: keep the counter, which may be past the last row.
  const counter = facts.autoincrement
    ? (db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').get(name) as { seq: number } | undefined)
    : undefined;
  db.exec(`DROP TABLE ${quote(name)}`);
  db.exec(`ALTER TABLE ${quote(copy)} RENAME TO ${quote(name)}`);
  if (counter) {
    const copied = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').get(name) as
      | { seq: number }
      | undefined;
    db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(name);
    db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(
      name,
      Math.max(counter.seq, copied?.seq ?? 0),
    );
  }
  for (const index of facts.indexes) db.exec(index.sql);
}
