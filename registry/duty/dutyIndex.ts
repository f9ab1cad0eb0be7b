import { type Absence, type Roster, spanCovers } from './dutySchemas.ts';

/** Keeps a list ordered by start, then id: the order every answer is given in. */
function insertOrdered<T extends { id: string; start: number }>(list: T[], item: T): void {
  let i = list.length;
  while (i > 0) {
    const prev = list[i - 1]!;
    if (prev.start < item.start || (prev.start === item.start && prev.id < item.id)) break;
    i--;
  }
  list.splice(i, 0, item);
}

function removeById<T extends { id: string }>(map: Map<string, T[]>, key: string, id: string): void {
  const list = map.get(key);
  if (!list) return;
  const i = list.findIndex((x) => x.id === id);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) map.delete(key);
}

/**
 * Rosters by grid node and absences by worker, in memory: routing asks per alert raised and per
 * escalation step, so an answer is a walk up the node's path (five or six levels) with a scan of the
 * few entries kept at each node, never a database read. Entries whose span has passed stay (they are
 * the record of who was on duty) until deleted.
 */
export class DutyIndex {
  private readonly rosters = new Map<string, Roster>();
  private readonly absences = new Map<string, Absence>();
  private readonly rostersByGrid = new Map<string, Roster[]>();
  private readonly absencesByWorker = new Map<string, Absence[]>();

  clear(): void {
    this.rosters.clear();
    this.absences.clear();
    this.rostersByGrid.clear();
    this.absencesByWorker.clear();
  }

  roster(id: string): Roster | undefined {
    return this.rosters.get(id);
  }
  absence(id: string): Absence | undefined {
    return this.absences.get(id);
  }
  allRosters(): Roster[] {
    return [...this.rosters.values()];
  }
  allAbsences(): Absence[] {
    return [...this.absences.values()];
  }

  /**
   * The roster entries in force at `at` for a node: those of the nearest node on `pathIds` (root
   * first, the node last) that has any covering `at`; empty when none does. `known` drops entries
   * of workers since deleted, so a stale entry never hides the next node's.
   */
  onDutyAt(pathIds: readonly string[], at: number, known: (workerId: string) => boolean): Roster[] {
    for (let i = pathIds.length - 1; i >= 0; i--) {
      const here = (this.rostersByGrid.get(pathIds[i]!) ?? []).filter(
        (r) => spanCovers(r, at) && known(r.workerId),
      );
      if (here.length > 0) return here;
    }
    return [];
  }

  /** The worker's absence in force at `at` (the latest started, when several overlap), if any. */
  absenceAt(workerId: string, at: number): Absence | undefined {
    const list = this.absencesByWorker.get(workerId) ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (spanCovers(list[i]!, at)) return list[i];
    return undefined;
  }

  // ---- kept in step by commands/rosterCommands.ts, after the store took the write

  putRoster(r: Roster): void {
    this.rosters.set(r.id, r);
    const list = this.rostersByGrid.get(r.gridId) ?? [];
    insertOrdered(list, r);
    this.rostersByGrid.set(r.gridId, list);
  }
  removeRoster(r: Roster): void {
    this.rosters.delete(r.id);
    removeById(this.rostersByGrid, r.gridId, r.id);
  }
  putAbsence(a: Absence): void {
    this.absences.set(a.id, a);
    const list = this.absencesByWorker.get(a.workerId) ?? [];
    insertOrdered(list, a);
    this.absencesByWorker.set(a.workerId, list);
  }
  removeAbsence(a: Absence): void {
    this.absences.delete(a.id);
    removeById(this.absencesByWorker, a.workerId, a.id);
  }
}
