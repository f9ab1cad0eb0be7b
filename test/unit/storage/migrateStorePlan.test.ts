import { describe, expect, it } from 'vitest';
import {
  postgresArrayType,
  postgresOnlyTables,
  tablesToCopy,
  toPostgres,
} from '../../../storage/migrateStore/copyPlan.ts';
import { parentsFirst } from '../../../storage/migrateStore/migrateStore.ts';
import { RowDigest } from '../../../storage/migrateStore/rowDigest.ts';
import { TABLES } from '../../../storage/schema/definition.ts';
import { integer, json, references, type Table, text } from '../../../storage/schema/schemaTypes.ts';

describe('what migrate-store copies', () => {
  it('covers every table of the definition: copied, or PostgreSQL-only with a reason', () => {
    const copied = tablesToCopy().map((c) => c.table.name);
    const only = postgresOnlyTables().map((t) => t.name);
    expect([...copied, ...only].sort()).toEqual(TABLES.map((t) => t.name).sort());
    expect(copied.filter((name) => only.includes(name))).toEqual([]);
    for (const t of postgresOnlyTables()) expect(t.why, t.name).not.toBe('');
    // What the issue names explicitly is among them.
    expect(copied).toEqual(
      expect.arrayContaining([
        'sensors',
        'tokens',
        'door_events',
        'alerts',
        'alert_changes',
        'outbox',
        'announcements',
        'announce_links',
      ]),
    );
  });

  it('has a conversion for every column it copies', () => {
    for (const { table } of tablesToCopy())
      for (const column of table.columns)
        expect(() => postgresArrayType(column.type), `${table.name}.${column.name}`).not.toThrow();
  });

  it('puts each table after the tables it references', () => {
    const order = tablesToCopy().map((c) => c.table.name);
    for (const { table } of tablesToCopy())
      for (const column of table.columns) {
        const target = column.references?.table;
        if (target && target !== table.name)
          expect(order.indexOf(target), `${table.name}.${column.name}`).toBeLessThan(
            order.indexOf(table.name),
          );
      }
  });

  it('copies a table added to the definition later, wherever it is listed', () => {
    const later: Table = {
      name: 'sensor_models',
      columns: [text('id'), text('sensor_id', { references: references('sensors') }), json('profile')],
      primaryKey: ['id'],
    };
    const plan = tablesToCopy([later, ...TABLES]).map((c) => c.table.name);
    expect(plan).toContain('sensor_models');
    expect(plan.indexOf('sensor_models')).toBeGreaterThan(plan.indexOf('sensors'));
  });

  it('knows the self-reference and the auto-numbered keys', () => {
    const byName = new Map(tablesToCopy().map((c) => [c.table.name, c]));
    expect(byName.get('grid_nodes')?.selfReference?.name).toBe('parent_id');
    expect(byName.get('door_events')?.serial?.name).toBe('id');
    expect(byName.get('alert_changes')?.serial?.name).toBe('seq');
  });
});

describe('values from SQLite to PostgreSQL', () => {
  it('turns 0/1 into booleans, keeps 64-bit integers exact, refuses what does not fit', () => {
    expect(toPostgres('boolean', 1n, 'w')).toBe(true);
    expect(toPostgres('boolean', 0n, 'w')).toBe(false);
    expect(toPostgres('integer', 9_007_199_254_740_993n, 'w')).toBe('9007199254740993');
    expect(toPostgres('real', -61.5, 'w')).toBe(-61.5);
    expect(toPostgres('json', '[1,2]', 'w')).toBe('[1,2]');
    expect(toPostgres('text', null, 'w')).toBeNull();
    expect(() => toPostgres('boolean', 2n, 'seal_state row 3, tamper')).toThrow(/seal_state row 3, tamper/);
    expect(() => toPostgres('integer', 'soon', 'w')).toThrow(/integer/);
  });
});

describe('the table digest', () => {
  const types = [text('a').type, integer('b').type, json('c').type] as const;
  const digest = (rows: unknown[][]) => {
    const d = new RowDigest(types);
    for (const r of rows) d.add(r);
    return d.value;
  };

  it('does not depend on row order, jsonb key order or int8 as text', () => {
    const fromSqlite = digest([
      ['x', '1', '{"b":1,"a":[1,2]}'],
      ['y', '2', null],
    ]);
    const fromPostgres = digest([
      ['y', 2, null],
      ['x', '1', { a: [1, 2], b: 1 }],
    ]);
    expect(fromPostgres).toBe(fromSqlite);
  });

  it('changes with a changed, missing or doubled row, and tells null from the text "null"', () => {
    const rows = [
      ['x', '1', '[]'],
      ['y', '2', '[]'],
    ];
    const base = digest(rows);
    expect(digest([rows[0]!, ['y', '3', '[]']])).not.toBe(base);
    expect(digest([rows[0]!])).not.toBe(base);
    expect(digest([rows[0]!, rows[0]!])).not.toBe(digest([rows[0]!, rows[1]!]));
    expect(digest([['null', '1', '[]']])).not.toBe(digest([[null, '1', '[]']]));
  });
});

describe('parents first', () => {
  it('orders a tree so that each row follows its parent, and leaves orphans last', () => {
    const rows = [
      ['village', 'town'],
      ['town', 'county'],
      ['orphan', 'nowhere'],
      ['county', null],
    ] as const;
    const ordered = parentsFirst([...rows], 1, 0).map((r) => r[0]);
    expect(ordered).toEqual(['county', 'town', 'village', 'orphan']);
  });
});
