import { invalid, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import {
  type Absence,
  type CreateAbsence,
  type CreateRoster,
  newAbsence,
  newRoster,
  type Roster,
} from '../duty/dutySchemas.ts';
import type { CommandContext } from './commandContext.ts';

/** What the roster and absence commands write; each change with its audit entry, in one transaction. */
export interface RosterStore {
  insertRoster(roster: Roster, audit: AuditEntry): Promise<void>;
  deleteRoster(id: string, audit: AuditEntry): Promise<void>;
  insertAbsence(absence: Absence, audit: AuditEntry): Promise<void>;
  deleteAbsence(id: string, audit: AuditEntry): Promise<void>;
  /** A CSV import: every record and its audit entry in one transaction, all or nothing. */
  importDuty(records: { rosters: Roster[]; absences: Absence[] }, audit: AuditEntry[]): Promise<void>;
}

/**
 * Duty rosters (who is on duty for a node's subtree, when) and absences (who is away, and who
 * covers). The worker on a roster need not be placed inside the node's subtree: a township worker
 * may take a village's night shift, or a neighbouring village's worker cover a weekend. References
 * that name nothing are refused with 400 (the body is wrong), not 404 (the URL is fine).
 */
export class RosterCommands {
  constructor(private readonly ctx: CommandContext<RosterStore>) {}

  async createRoster(input: CreateRoster, actor: Actor): Promise<Roster> {
    const { index, store, changes, clock } = this.ctx;
    if (!index.gridNode(input.gridId))
      throw invalid(`unknown grid node '${input.gridId}'`, { gridId: input.gridId });
    this.requireWorker(input.workerId, 'workerId');
    const r = newRoster(input, clock.now());
    const change = { entity: 'roster', entityId: r.id, action: 'create', gridId: r.gridId };
    await store.insertRoster(r, auditEntry(clock.now(), actor, change, null, r));
    index.duty.putRoster(r);
    changes.changed('roster', r.id);
    return r;
  }

  async deleteRoster(id: string, actor: Actor): Promise<Roster> {
    const { index, store, changes, clock } = this.ctx;
    const r = index.duty.roster(id);
    if (!r) throw notFound('roster entry', id);
    const change = { entity: 'roster', entityId: id, action: 'delete', gridId: r.gridId };
    await store.deleteRoster(id, auditEntry(clock.now(), actor, change, r, null));
    index.duty.removeRoster(r);
    changes.changed('roster', id, true);
    return r;
  }

  async createAbsence(input: CreateAbsence, actor: Actor): Promise<Absence> {
    const { index, store, changes, clock } = this.ctx;
    const worker = this.requireWorker(input.workerId, 'workerId');
    this.requireWorker(input.substituteId, 'substituteId');
    const a = newAbsence(input, clock.now());
    const change = { entity: 'absence', entityId: a.id, action: 'create', gridId: worker.gridId };
    await store.insertAbsence(a, auditEntry(clock.now(), actor, change, null, a));
    index.duty.putAbsence(a);
    changes.changed('absence', a.id);
    return a;
  }

  async deleteAbsence(id: string, actor: Actor): Promise<Absence> {
    const { index, store, changes, clock } = this.ctx;
    const a = index.duty.absence(id);
    if (!a) throw notFound('absence', id);
    const gridId = index.worker(a.workerId)?.gridId ?? null;
    const change = { entity: 'absence', entityId: id, action: 'delete', gridId };
    await store.deleteAbsence(id, auditEntry(clock.now(), actor, change, a, null));
    index.duty.removeAbsence(a);
    changes.changed('absence', id, true);
    return a;
  }

  /**
   * A checked CSV import (registry/csv/csvImport.ts checked every row, reference and scope): all
   * rows with their audit entries in one transaction, then the index.
   */
  async importDuty(
    input: { rosters?: CreateRoster[]; absences?: CreateAbsence[] },
    actor: Actor,
  ): Promise<number> {
    const { index, store, changes, clock } = this.ctx;
    const now = clock.now();
    const rosters = (input.rosters ?? []).map((r) => newRoster(r, now));
    const absences = (input.absences ?? []).map((a) => newAbsence(a, now));
    const audit = [
      ...rosters.map((r) =>
        auditEntry(
          now,
          actor,
          { entity: 'roster', entityId: r.id, action: 'import', gridId: r.gridId },
          null,
          r,
        ),
      ),
      ...absences.map((a) => {
        const gridId = index.worker(a.workerId)?.gridId ?? null;
        return auditEntry(
          now,
          actor,
          { entity: 'absence', entityId: a.id, action: 'import', gridId },
          null,
          a,
        );
      }),
    ];
    await store.importDuty({ rosters, absences }, audit);
    for (const r of rosters) index.duty.putRoster(r);
    for (const a of absences) index.duty.putAbsence(a);
    changes.changed('import', String(rosters.length + absences.length));
    return rosters.length + absences.length;
  }

  private requireWorker(id: string, field: string) {
    const w = this.ctx.index.worker(id);
    if (!w) throw invalid(`unknown worker '${id}' (${field})`, { [field]: id });
    return w;
  }
}
