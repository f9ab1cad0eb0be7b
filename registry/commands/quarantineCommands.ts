import { conflict, invalid, notFound } from '../../core/errors.ts';
import { newQuarantine } from '../newRecords.ts';
import type { CreateQuarantine, Quarantine } from '../schemas.ts';
import { type CommandContext, requireHousehold } from './commandContext.ts';

/** What the quarantine commands write. */
export interface QuarantineStore {
  insertQuarantine(quarantine: Quarantine): Promise<void>;
  setQuarantineEnd(id: string, end: number): Promise<void>;
}

/** A household's quarantines: one at a time, never two that share time. */
export class QuarantineCommands {
  constructor(private readonly ctx: CommandContext<QuarantineStore>) {}

  async create(input: CreateQuarantine): Promise<Quarantine> {
    const { index, store, changes, clock } = this.ctx;
    requireHousehold(index, input.householdId);
    const clash = index.overlappingQuarantine(input.householdId, input.start, input.end ?? null);
    if (clash) throw overlapConflict(clash);
    const q = newQuarantine(input, clock.now());
    await store.insertQuarantine(q);
    index.putQuarantine(q);
    changes.changed('quarantine', q.id);
    return q;
  }

  /** Ends a quarantine (a household released early, or an end fixed later); arming follows at once. */
  async end(id: string, end: number): Promise<Quarantine> {
    const { index, store, changes } = this.ctx;
    const q = index.quarantine(id);
    if (!q) throw notFound('quarantine', id);
    if (end <= q.start) throw invalid('end must be after the quarantine start');
    const clash = index.overlappingQuarantine(q.householdId, q.start, end, q.id);
    if (clash) throw overlapConflict(clash);
    await store.setQuarantineEnd(id, end);
    q.end = end;
    changes.changed('quarantine', id);
    return q;
  }
}

function overlapConflict(q: Quarantine): Error {
  const span = `${new Date(q.start).toISOString()} – ${q.end === null ? 'open-ended' : new Date(q.end).toISOString()}`;
  return conflict(`household '${q.householdId}' already has quarantine '${q.id}' (${span}) at that time`, {
    quarantineId: q.id,
  });
}
