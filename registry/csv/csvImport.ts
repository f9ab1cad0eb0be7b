import { CsvSyntaxError, parseCsv } from '../../contract/csvFormat.ts';
import { overlaps, type Span } from '../arming.ts';
import { unknownModelMessage } from '../commands/modelCommands.ts';
import type { Registry } from '../registry.ts';
import { CSV_ENTITIES, type CsvEntityName } from './csvEntities.ts';

export interface RowError {
  /** Line in the file (the header is line 1). */
  line: number;
  column?: string;
  message: string;
}

export type ImportCheck = { ok: true; bodies: Record<string, unknown>[] } | { ok: false; errors: RowError[] };

/**
 * Checks a whole file before anything is written: syntax, columns, every
 * row against the API's schema, ids not taken, references that exist (in the
 * registry or earlier in the same file), and the caller's grid scope. The
 * report lists every bad row, so an administrator fixes the spreadsheet once.
 */
export function checkCsvImport(
  entity: CsvEntityName,
  text: string,
  registry: Registry,
  /** Scope check; null means a row that creates a root of the grid. */
  mayWrite: (gridId: string | null) => boolean,
): ImportCheck {
  const spec = CSV_ENTITIES[entity];
  let table: ReturnType<typeof parseCsv>;
  try {
    table = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError)
      return { ok: false, errors: [{ line: err.line, message: err.message }] };
    throw err;
  }
  const optional: readonly string[] = spec.optional;
  const missing = spec.columns.filter((c) => !optional.includes(c) && !table.header.includes(c));
  const columns: readonly string[] = spec.columns;
  const unknown = table.header.filter((h) => !columns.includes(h));
  if (missing.length > 0 || unknown.length > 0) {
    const parts = [];
    if (missing.length) parts.push(`missing columns: ${missing.join(', ')}`);
    if (unknown.length) parts.push(`unknown columns: ${unknown.join(', ')}`);
    return {
      ok: false,
      errors: [{ line: 1, message: `${parts.join('; ')} (expected ${spec.columns.join(',')})` }],
    };
  }
  if (table.rows.length === 0)
    return { ok: false, errors: [{ line: 2, message: 'the file has a header but no rows' }] };

  const errors: RowError[] = [];
  const bodies: Record<string, unknown>[] = [];
  const idsInFile = new Set<string>();
  const fileIds = new Set(table.rows.map((r) => r.values.id).filter((id): id is string => Boolean(id)));
  const names = new Set<string>();
  /** Quarantines earlier in the file, by household. */
  const spans = new Map<string, Span[]>();
  const bodyLines = new Map<Record<string, unknown>, number>();

  for (const { line, values } of table.rows) {
    const parsed = spec.schema.safeParse(spec.toBody(values));
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const column = issue.path.join('.') || undefined;
        errors.push({ line, ...(column ? { column } : {}), message: issue.message });
      }
      continue;
    }
    const body = parsed.data as Record<string, unknown>;
    const problem = checkReferences(entity, body, registry, idsInFile, fileIds, names, spans);
    const gridId = gridOf(entity, body, registry);
    if (problem) errors.push({ line, ...problem });
    else if (gridId === null && !mayWrite(null)) {
      errors.push({ line, message: 'only a whole-grid admin creates a root node' });
    } else if (gridId !== null && gridId !== IN_FILE && !mayWrite(gridId)) {
      // Outside the caller's scope reads exactly as a reference to nothing: nothing is learnt.
      errors.push({ line, ...unknownReference(entity, body) });
    }
    if (typeof body.id === 'string') idsInFile.add(body.id);
    bodies.push(body);
    bodyLines.set(body, line);
  }
  if (errors.length > 0) return { ok: false, errors };
  if (entity !== 'grid') return { ok: true, bodies };
  const ordered = parentsFirst(bodies, bodyLines);
  return 'cycles' in ordered ? { ok: false, errors: ordered.cycles } : { ok: true, bodies: ordered.bodies };
}

/**
 * Grid rows ordered so that every parent is written before its children (the file may list them
 * in any order), or the rows that form cycles among themselves, named by line.
 */
function parentsFirst(
  bodies: Record<string, unknown>[],
  lines: Map<Record<string, unknown>, number>,
): { bodies: Record<string, unknown>[] } | { cycles: RowError[] } {
  const byId = new Map(bodies.map((b) => [b.id as string, b]));
  const ordered: Record<string, unknown>[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: RowError[] = [];
  for (const start of bodies) {
    // Walk up through parents in the file, then write the chain top down.
    const chain: Record<string, unknown>[] = [];
    let b: Record<string, unknown> | undefined = start;
    while (b && state.get(b.id as string) === undefined) {
      state.set(b.id as string, 'visiting');
      chain.push(b);
      b = byId.get(b.parentId as string);
    }
    if (b && state.get(b.id as string) === 'visiting') {
      const ring = chain.slice(chain.indexOf(b));
      const names = [...ring.map((r) => r.id as string), b.id as string].join(' → ');
      for (const r of ring) {
        cycles.push({
          line: lines.get(r) as number,
          column: 'parentId',
          message: `rows ${ring.map((x) => lines.get(x)).join(', ')} form a cycle (${names}): a grid node cannot be its own ancestor`,
        });
      }
    }
    for (const c of chain) state.set(c.id as string, 'done');
    ordered.push(...chain.reverse());
  }
  if (cycles.length > 0) return { cycles: cycles.sort((x, y) => x.line - y.line) };
  return { bodies: ordered };
}

function checkReferences(
  entity: CsvEntityName,
  b: Record<string, unknown>,
  registry: Registry,
  idsInFile: Set<string>,
  fileIds: Set<string>,
  names: Set<string>,
  spans: Map<string, Span[]>,
): { column?: string; message: string } | null {
  const id = b.id as string | undefined;
  if (id !== undefined && idsInFile.has(id))
    return { column: 'id', message: `'${id}' appears twice in the file` };
  const gridExists = (g: string) => registry.gridNode(g) !== undefined;
  const householdExists = (h: string) => registry.household(h) !== undefined;
  const workerExists = (w: string) => registry.worker(w) !== undefined;
  switch (entity) {
    case 'grid':
      if (registry.gridNode(id as string))
        return { column: 'id', message: `grid node '${id}' already exists` };
      if (b.parentId !== null && !gridExists(b.parentId as string) && !fileIds.has(b.parentId as string)) {
        return {
          column: 'parentId',
          message: `parent '${b.parentId}' is neither registered nor in this file`,
        };
      }
      return null;
    case 'workers':
      if (registry.allWorkers().some((w) => w.id === id))
        return { column: 'id', message: `worker '${id}' already exists` };
      return gridExists(b.gridId as string)
        ? null
        : { column: 'gridId', message: `grid node '${b.gridId}' does not exist` };
    case 'households':
      if (registry.household(id as string))
        return { column: 'id', message: `household '${id}' already exists` };
      return gridExists(b.gridId as string)
        ? null
        : { column: 'gridId', message: `grid node '${b.gridId}' does not exist` };
    case 'sensors': {
      if (registry.sensor(id as string) || registry.gateway(id as string))
        return { column: 'id', message: `sensor '${id}' already exists` };
      const name = b.friendlyName as string | undefined;
      if (name !== undefined) {
        if (registry.sensorByFriendlyName(name) || names.has(name)) {
          return { column: 'friendlyName', message: `friendly name '${name}' is already bound` };
        }
        names.add(name);
      }
      const model = b.model as string | undefined;
      if (model !== undefined && !registry.sensorModel(model)) {
        return { column: 'model', message: unknownModelMessage(model, registry.modelIds()) };
      }
      return householdExists(b.householdId as string)
        ? null
        : { column: 'householdId', message: `household '${b.householdId}' does not exist` };
    }
    case 'quarantines': {
      const householdId = b.householdId as string;
      if (!householdExists(householdId))
        return { column: 'householdId', message: `household '${householdId}' does not exist` };
      const start = b.start as number;
      const end = (b.end as number | undefined) ?? null;
      const clash = registry.overlappingQuarantine(householdId, start, end);
      if (clash)
        return {
          column: 'start',
          message: `overlaps quarantine '${clash.id}' of household '${householdId}'`,
        };
      // Rows earlier in the file count as the registered ones do (the registry's one overlap test).
      const earlier = spans.get(householdId) ?? [];
      if (earlier.some((span) => overlaps(span, { start, end })))
        return {
          column: 'start',
          message: `overlaps another quarantine of household '${householdId}' in this file`,
        };
      spans.set(householdId, [...earlier, { start, end }]);
      return null;
    }
    case 'windows':
      if (b.gridId !== undefined && !gridExists(b.gridId as string))
        return { column: 'gridId', message: `grid node '${b.gridId}' does not exist` };
      if (b.householdId !== undefined && !householdExists(b.householdId as string)) {
        return { column: 'householdId', message: `household '${b.householdId}' does not exist` };
      }
      return null;
    case 'rosters':
      if (!gridExists(b.gridId as string))
        return { column: 'gridId', message: `grid node '${b.gridId}' does not exist` };
      return workerExists(b.workerId as string)
        ? null
        : { column: 'workerId', message: `worker '${b.workerId}' does not exist` };
    case 'absences':
      if (!workerExists(b.workerId as string))
        return { column: 'workerId', message: `worker '${b.workerId}' does not exist` };
      return workerExists(b.substituteId as string)
        ? null
        : { column: 'substituteId', message: `worker '${b.substituteId}' does not exist` };
    case 'policies': {
      // One row per node: a second row for it would leave which one wins to the order of the file.
      const gridId = b.gridId as string;
      if (idsInFile.has(gridId))
        return { column: 'gridId', message: `'${gridId}' appears twice in the file` };
      idsInFile.add(gridId);
      return gridExists(gridId)
        ? null
        : { column: 'gridId', message: `grid node '${gridId}' does not exist` };
    }
  }
}

/** The refusal of a row whose reference does not exist, worded as checkReferences words it. */
function unknownReference(
  entity: CsvEntityName,
  b: Record<string, unknown>,
): { column: string; message: string } {
  switch (entity) {
    case 'grid':
      return { column: 'parentId', message: `parent '${b.parentId}' is neither registered nor in this file` };
    case 'workers':
    case 'households':
      return { column: 'gridId', message: `grid node '${b.gridId}' does not exist` };
    case 'sensors':
    case 'quarantines':
      return { column: 'householdId', message: `household '${b.householdId}' does not exist` };
    case 'windows':
      return b.gridId !== undefined
        ? { column: 'gridId', message: `grid node '${b.gridId}' does not exist` }
        : { column: 'householdId', message: `household '${b.householdId}' does not exist` };
    case 'policies':
    case 'rosters':
      return { column: 'gridId', message: `grid node '${b.gridId}' does not exist` };
    case 'absences':
      return { column: 'workerId', message: `worker '${b.workerId}' does not exist` };
  }
}

/** The grid node that decides whether the caller may write a row. */
const IN_FILE = Symbol('parent in the file');

function gridOf(
  entity: CsvEntityName,
  b: Record<string, unknown>,
  registry: Registry,
): string | null | typeof IN_FILE {
  switch (entity) {
    case 'grid':
      // A parent in the same file is checked on its own row (the chain's top row names a registered
      // node or none); here the row has nothing more to check.
      if (b.parentId !== null && !registry.gridNode(b.parentId as string)) return IN_FILE;
      return (b.parentId as string | null) ?? null;
    case 'workers':
    case 'households':
      return b.gridId as string;
    case 'sensors':
    case 'quarantines':
      return registry.household(b.householdId as string)?.gridId ?? null;
    case 'windows':
      return (b.gridId as string | undefined) ?? registry.household(b.householdId as string)?.gridId ?? null;
    case 'policies':
    case 'rosters':
      return b.gridId as string;
    case 'absences':
      return registry.worker(b.workerId as string)?.gridId ?? null;
  }
}
