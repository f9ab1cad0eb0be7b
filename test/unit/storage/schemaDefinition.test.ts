import { describe, expect, it } from 'vitest';
import { TABLES } from '../../../storage/schema/definition.ts';
import { FIRST_STEP_VERSION, planMigrations } from '../../../storage/schema/migrationPlan.ts';
import { createSchemaSql } from '../../../storage/schema/renderDdl.ts';
import { normalizeExpression } from '../../../storage/schema/schemaShape.ts';
import { indexColumn } from '../../../storage/schema/schemaTypes.ts';
import { SCHEMA_VERSION, STEPS } from '../../../storage/schema/steps.ts';
import { LEGACY_MIGRATIONS } from '../../../storage/sqlite/legacyMigrations.ts';

describe('the schema definition', () => {
  it('references only tables listed before, on their key or a unique column', () => {
    const seen = new Map<string, (typeof TABLES)[number]>();
    for (const table of TABLES) {
      seen.set(table.name, table);
      for (const column of table.columns) {
        if (!column.references) continue;
        const target = seen.get(column.references.table);
        expect(target, `${table.name}.${column.name}`).toBeDefined();
        const keys = [target!.primaryKey, ...(target!.unique ?? [])];
        expect(keys, `${table.name}.${column.name}`).toContainEqual([column.references.column]);
      }
    }
  });

  it('names each table and index once, and indexes, keys and checks name columns of their table', () => {
    const names = [
      ...TABLES.map((t) => t.name),
      ...TABLES.flatMap((t) => (t.indexes ?? []).map((i) => i.name)),
    ];
    expect(new Set(names).size).toBe(names.length);
    for (const table of TABLES) {
      const columns = table.columns.map((c) => c.name);
      expect(new Set(columns).size, table.name).toBe(columns.length);
      for (const key of [table.primaryKey, ...(table.unique ?? [])])
        expect(columns).toEqual(expect.arrayContaining(key));
      for (const index of table.indexes ?? []) {
        expect(index.table, index.name).toBe(table.name);
        expect(columns).toEqual(expect.arrayContaining(index.columns.map((c) => indexColumn(c).column)));
      }
    }
  });

  it('renders in both dialects (serial keys whole, PostgreSQL-only types only in its own tables)', () => {
    expect(createSchemaSql(TABLES, 'sqlite')).toContain(
      'CREATE INDEX "alerts_opened" ON "alerts" ("opened_at" DESC, "id")',
    );
    expect(
      createSchemaSql(TABLES, 'postgres').some((s) =>
        s.includes('"xid" xid8 NOT NULL DEFAULT pg_current_xact_id()'),
      ),
    ).toBe(true);
    expect(() =>
      createSchemaSql(
        [{ name: 't', columns: [{ name: 'x', type: 'transactionId' }], primaryKey: ['x'] }],
        'sqlite',
      ),
    ).toThrow(/does not exist in sqlite/);
  });

  it('has steps from 100 up, in order', () => {
    const versions = STEPS.map((s) => s.version);
    expect(versions[0]).toBe(FIRST_STEP_VERSION);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
  });
});

describe('planMigrations', () => {
  it('creates an empty database; finishes a legacy one; adds only missing steps to one made from the definition', () => {
    expect(planMigrations(new Set(), LEGACY_MIGRATIONS)).toEqual({ kind: 'create', steps: STEPS });
    const legacy = planMigrations(new Set([1, 2, 3, 4]), LEGACY_MIGRATIONS);
    expect(legacy.kind === 'upgrade' && legacy.legacy.map((m) => m.version)).toEqual([5, 6, 7]);
    expect(legacy.kind === 'upgrade' && legacy.steps).toEqual(STEPS);
    // The step after the last one, whatever number that is (helpers append steps in parallel).
    const next = { version: SCHEMA_VERSION + 1, name: 'next', ops: [] };
    const applied = new Set(STEPS.map((s) => s.version));
    expect(planMigrations(applied, LEGACY_MIGRATIONS, [...STEPS, next])).toEqual({
      kind: 'upgrade',
      legacy: [],
      steps: [next],
    });
  });
});

describe('normalizeExpression', () => {
  it("reads PostgreSQL's printout as the expression that was written", () => {
    const pairs: [printed: string, written: string][] = [
      ["(role = ANY (ARRAY['worker'::text, 'leader'::text]))", "role IN ('worker', 'leader')"],
      ['((grid_id IS NULL) <> (household_id IS NULL))', '(grid_id IS NULL) <> (household_id IS NULL)'],
      ['((end_at IS NULL) OR (end_at > start_at))', 'end_at IS NULL OR end_at > start_at'],
      ["((status = 'folded'::text) AND (summary_id IS NULL))", "status = 'folded' AND summary_id IS NULL"],
      ["(status <> 'resolved'::text)", "status != 'resolved'"],
      ["'[]'::jsonb", "'[]'"],
      ['"by"', 'by'],
      ['now()', 'NOW()'],
    ];
    for (const [printed, written] of pairs)
      expect(normalizeExpression(printed), printed).toBe(normalizeExpression(written));
  });

  it('keeps different expressions different', () => {
    expect(normalizeExpression("role IN ('a')")).not.toBe(normalizeExpression("role IN ('b')"));
    expect(normalizeExpression('a <> b')).not.toBe(normalizeExpression('a = b'));
    expect(normalizeExpression("x = 'It''s'")).not.toBe(normalizeExpression("x = 'it''s'"));
  });
});
