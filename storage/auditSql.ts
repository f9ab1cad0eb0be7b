import type { AuditEntry, AuditQuery, AuditRecord } from '../registry/auditTrail.ts';
import type { Row } from './rows.ts';

/** The audit trail's SQL, the same for both dialects but for the placeholders. */
export const INSERT_AUDIT_COLUMNS =
  'at, actor, entity, entity_id, action, grid_id, before, after, household_id';

/** One entry's INSERT; its values are `auditValues(entry)`. */
export const INSERT_AUDIT_SQLITE = `INSERT INTO audit_log (${INSERT_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
export const INSERT_AUDIT_POSTGRES = `INSERT INTO audit_log (${INSERT_AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

/** An entry's values in INSERT_AUDIT_COLUMNS order; before/after as JSON text (jsonb takes text too). */
export const auditValues = (e: AuditEntry): unknown[] => [
  e.at,
  e.actor,
  e.entity,
  e.entityId,
  e.action,
  e.gridId,
  e.before === null ? null : JSON.stringify(e.before),
  e.after === null ? null : JSON.stringify(e.after),
  e.householdId ?? null,
];

/**
 * The privacy purge's statement on the trail (`?` / `$1`: the households, as for `inList`): the
 * entries concerning those households go with their personal data.
 */
export const PURGE_AUDIT = {
  sqlite: 'DELETE FROM audit_log WHERE household_id IN (SELECT value FROM json_each(?))',
  postgres: 'DELETE FROM audit_log WHERE household_id = ANY($1::text[])',
};

/**
 * Households deleted (registered by mistake) before a cutoff (`?` / `$1`, epoch ms) and not registered
 * again: their entries go too, as a purged household's would, so a deleted household's address does
 * not stay in the trail for ever.
 */
export const PURGE_DELETED_HOUSEHOLDS_AUDIT = {
  sqlite: `DELETE FROM audit_log WHERE household_id IN (
    SELECT entity_id FROM audit_log WHERE entity = 'household' AND action = 'delete' AND at < ?
    AND entity_id NOT IN (SELECT id FROM households))`,
  postgres: `DELETE FROM audit_log WHERE household_id IN (
    SELECT entity_id FROM audit_log WHERE entity = 'household' AND action = 'delete' AND at < $1
    AND entity_id NOT IN (SELECT id FROM households))`,
};

/** How a dialect spells the n-th (1-based) parameter, and "column is one of the list parameter". */
interface Spelling {
  placeholder(n: number): string;
  inList(column: string, n: number): string;
}

export const SQLITE_SPELLING: Spelling = {
  placeholder: () => '?',
  // The list is passed as one JSON array: any length, one parameter.
  inList: (column) => `${column} IN (SELECT value FROM json_each(?))`,
};

export const POSTGRES_SPELLING: Spelling = {
  placeholder: (n) => `$${n}`,
  inList: (column, n) => `${column} = ANY($${n}::text[])`,
};

/** WHERE clause and its values for a query. */
export function auditFilter(q: AuditQuery, spelling: Spelling): { where: string; values: unknown[] } {
  const placeholder = spelling.placeholder;
  const terms: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    terms.push(`${sql} ${placeholder(values.length)}`);
  };
  if (q.entity !== undefined) add('entity =', q.entity);
  if (q.entityId !== undefined) add('entity_id =', q.entityId);
  if (q.actor !== undefined) add('actor =', q.actor);
  if (q.from !== undefined) add('at >=', q.from);
  if (q.to !== undefined) add('at <', q.to);
  if (q.withinGridIds !== undefined) {
    const list = q.withinGridIds;
    values.push(spelling === SQLITE_SPELLING ? JSON.stringify(list) : list);
    terms.push(spelling.inList('grid_id', values.length));
  }
  return { where: terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '', values };
}

/** Both dialects select before/after as JSON text (PostgreSQL casts its jsonb: see AUDIT_SELECT). */
const jsonValue = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(String(v)));

export const AUDIT_SELECT = {
  sqlite:
    'SELECT seq, at, actor, entity, entity_id, action, grid_id, household_id, before, after FROM audit_log',
  postgres:
    'SELECT seq, at, actor, entity, entity_id, action, grid_id, household_id, before::text AS before, after::text AS after FROM audit_log',
};

export const auditRecord = (r: Row): AuditRecord => ({
  seq: Number(r.seq),
  at: Number(r.at),
  actor: String(r.actor),
  entity: String(r.entity),
  entityId: String(r.entity_id),
  action: String(r.action),
  gridId: r.grid_id === null ? null : String(r.grid_id),
  // Set only when the entry concerns a household, as auditEntry() writes it.
  ...(r.household_id === null || r.household_id === undefined ? {} : { householdId: String(r.household_id) }),
  before: jsonValue(r.before),
  after: jsonValue(r.after),
});
