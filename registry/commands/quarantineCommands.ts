import { conflict, invalid, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import { newQuarantine } from '../newRecords.ts';
import type { CreateQuarantine, Quarantine } from '../schemas.ts';
import { type CommandContext, householdAuditChange, requireHousehold } from './commandContext.ts';

/**
 * What the quarantine commands write. A write given an audit entry writes it in the same transaction
 * (the commands always give one; seeds of tests and benchmarks write without).
 */
export interface QuarantineStore {
  insertQuarantine(quarantine: Quarantine, audit?: AuditEntry): Promise<void>;
  setQuarantineEnd(id: string, end: number, audit?: AuditEntry): Promise<void>;
}

/** A household's quarantines: one at a time, never two that share time. */
export class QuarantineCommands {
  constructor(private readonly ctx: CommandContext<QuarantineStore>) {}

  async create(input: CreateQuarantine, actor: Actor): Promise<Quarantine> {
    const { index, store, changes, clock } = this.ctx;
    requireHousehold(index, input.householdId);
    const clash = index.overlappingQuarantine(input.householdId, input.start, input.end ?? null);
    if (clash) throw overlapConflict(clash);
    const q = newQuarantine(input, clock.now());
    await store.insertQuarantine(q, this.audit(actor, 'create', null, q));
    index.putQuarantine(q);
    changes.changed('quarantine', q.id);
    return q;
  }

  /** Ends a quarantine (a household released early, or an end fixed later); arming follows at once. */
  async end(id: string, end: number, actor: Actor): Promise<Quarantine> {
    const { index, store, changes } = this.ctx;
    const q = index.quarantine(id);
    if (!q) throw notFound('quarantine', id);
    if (end <= q.start) throw invalid('end must be after the quarantine start');
    const clash = index.overlappingQuarantine(q.householdId, q.start, end, q.id);
    if (clash) throw overlapConflict(clash);
    await store.setQuarantineEnd(id, end, this.audit(actor, 'end', q, { ...q, end }));
    q.end = end;
    changes.changed('quarantine', id);
    return q;
  }

  private audit(actor: Actor, action: string, before: Quarantine | null, after: Quarantine): AuditEntry {
    const change = householdAuditChange(
      this.ctx.index,
      { entity: 'quarantine', entityId: after.id, action },
      after.householdId,
    );
    return auditEntry(this.ctx.clock.now(), actor, change, before && { ...before }, after);
  }
}

function overlapConflict(q: Quarantine): Error {
  const span = `${new Date(q.start).toISOString()} – ${q.end === null ? 'open-ended' : new Date(q.end).toISOString()}`;
  return conflict(`household '${q.householdId}' already has quarantine '${q.id}' (${span}) at that time`, {
    quarantineId: q.id,
  });
}
