import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import {
  newGridNode,
  newHousehold,
  newQuarantine,
  newSensorRow,
  newWindow,
  newWorker,
} from '../newRecords.ts';
import type {
  CreateGridNode,
  CreateHousehold,
  CreateQuarantine,
  CreateSensor,
  CreateWindow,
  CreateWorker,
  GridNode,
  Household,
  Quarantine,
  Window,
  Worker,
} from '../schemas.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import { publicSensor, type SensorRow } from '../storedRecords.ts';
import type { CommandContext } from './commandContext.ts';
import { auditedWorker } from './workerCommands.ts';

/** Records of a CSV import, written in one transaction: all or nothing. */
export interface ImportRecords {
  grid?: GridNode[];
  workers?: Worker[];
  households?: Household[];
  sensors?: SensorRow[];
  quarantines?: Quarantine[];
  windows?: Window[];
}

/** What the import writes: the records and their audit entries, in one transaction. */
export interface ImportStore {
  importRecords(records: ImportRecords, audit?: readonly AuditEntry[]): Promise<void>;
}

export interface ImportInput {
  grid?: CreateGridNode[];
  workers?: CreateWorker[];
  households?: CreateHousehold[];
  sensors?: CreateSensor[];
  quarantines?: CreateQuarantine[];
  windows?: CreateWindow[];
}

/**
 * Writes a validated import in one transaction, then indexes it. The caller
 * (registry/csv/csvImport.ts) has checked every row and reference; the
 * database's constraints are the last line.
 */
export async function importRecords(
  { index, store, changes, clock }: CommandContext<ImportStore>,
  input: ImportInput,
  actor: Actor,
): Promise<{ count: number; secrets: Array<{ sensorId: string; secret: string }> }> {
  const now = clock.now();
  const grid = (input.grid ?? []).map((n) => newGridNode(n, now));
  const workers = (input.workers ?? []).map((w) => newWorker(w, now));
  const households = (input.households ?? []).map((h) => newHousehold(h, now));
  const secrets: Array<{ sensorId: string; secret: string }> = [];
  const sensors = await Promise.all(
    (input.sensors ?? []).map(async (x) => {
      const secret = newSecret();
      secrets.push({ sensorId: x.id, secret });
      return newSensorRow(x, now, await hashSecret(secret));
    }),
  );
  const quarantines = (input.quarantines ?? []).map((q) => newQuarantine(q, now));
  const windows = (input.windows ?? []).map((w) => newWindow(w, now));
  const audit = importAudit(index, now, actor, { grid, workers, households, sensors, quarantines, windows });
  await store.importRecords({ grid, workers, households, sensors, quarantines, windows }, audit);
  for (const n of grid) index.tree.add(n);
  for (const w of workers) index.putWorker(w);
  for (const h of households) index.putHousehold(h);
  for (const x of sensors) index.putSensor(x);
  for (const q of quarantines) index.putQuarantine(q);
  for (const w of windows) index.putWindow(w);
  const count =
    grid.length + workers.length + households.length + sensors.length + quarantines.length + windows.length;
  changes.changed('import', String(count));
  return { count, secrets };
}

/**
 * One audit entry per imported row (action `import`), as if each had been created alone: a row's entry
 * lies at its node and goes with its household's purge, which one entry for the whole file could not.
 * Rows' nodes and households may be new in this import: their nodes are looked up in the import too.
 */
function importAudit(
  index: CommandContext<ImportStore>['index'],
  at: number,
  actor: Actor,
  r: Required<ImportRecords>,
): AuditEntry[] {
  const householdNode = new Map(r.households.map((h) => [h.id, h.gridId]));
  const entry = (entity: string, id: string, gridId: string | null, after: unknown, householdId?: string) =>
    auditEntry(at, actor, { entity, entityId: id, action: 'import', gridId, householdId }, null, after);
  const ofHousehold = (entity: string, id: string, householdId: string, after: unknown) =>
    entry(
      entity,
      id,
      householdNode.get(householdId) ?? index.household(householdId)?.gridId ?? null,
      after,
      householdId,
    );
  return [
    ...r.grid.map((n) => entry('grid', n.id, n.id, n)),
    ...r.workers.map((w) => entry('worker', w.id, w.gridId, auditedWorker(w))),
    ...r.households.map((h) => entry('household', h.id, h.gridId, h, h.id)),
    ...r.sensors.map((s) => ofHousehold('sensor', s.id, s.householdId, publicSensor(s))),
    ...r.quarantines.map((q) => ofHousehold('quarantine', q.id, q.householdId, q)),
    ...r.windows.map((w) =>
      w.householdId !== null
        ? ofHousehold('window', w.id, w.householdId, w)
        : entry('window', w.id, w.gridId, w),
    ),
  ];
}
