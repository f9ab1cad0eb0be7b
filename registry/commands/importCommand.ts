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
import type { SensorRow } from '../storedRecords.ts';
import type { CommandContext } from './commandContext.ts';

/** Records of a CSV import, written in one transaction: all or nothing. */
export interface ImportRecords {
  grid?: GridNode[];
  workers?: Worker[];
  households?: Household[];
  sensors?: SensorRow[];
  quarantines?: Quarantine[];
  windows?: Window[];
}

/** What the import writes. */
export interface ImportStore {
  importRecords(records: ImportRecords): Promise<void>;
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
  await store.importRecords({ grid, workers, households, sensors, quarantines, windows });
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
