/** Rosters and absences as both stores write them: the column lists and each record's values. */
import type { Absence, Roster } from '../registry/duty/dutySchemas.ts';

export const DUTY_TABLES = {
  rosters: {
    columns: 'id, grid_id, worker_id, start_at, end_at, created_at',
    values: (r: Roster) => [r.id, r.gridId, r.workerId, r.start, r.end, r.createdAt],
  },
  absences: {
    columns: 'id, worker_id, substitute_id, start_at, end_at, created_at',
    values: (a: Absence) => [a.id, a.workerId, a.substituteId, a.start, a.end, a.createdAt],
  },
} as const;

export type DutyTable = keyof typeof DUTY_TABLES;
