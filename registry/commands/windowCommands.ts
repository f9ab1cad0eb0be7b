import { notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import { newWindow } from '../newRecords.ts';
import type { CreateWindow, Window } from '../schemas.ts';
import {
  type CommandContext,
  householdAuditChange,
  requireGridNode,
  requireHousehold,
} from './commandContext.ts';

/**
 * What the window commands write. A write given an audit entry writes it in the same transaction
 * (the commands always give one; seeds of tests and benchmarks write without).
 */
export interface WindowStore {
  insertWindow(window: Window, audit?: AuditEntry): Promise<void>;
  deleteWindow(id: string, audit?: AuditEntry): Promise<void>;
}

/** Authorized windows: a household, or a whole grid node, disarmed for a while. */
export class WindowCommands {
  constructor(private readonly ctx: CommandContext<WindowStore>) {}

  async create(input: CreateWindow, actor: Actor): Promise<Window> {
    const { index, store, changes, clock } = this.ctx;
    if (input.gridId !== undefined) requireGridNode(index, input.gridId);
    if (input.householdId !== undefined) requireHousehold(index, input.householdId);
    const w = newWindow(input, clock.now());
    await store.insertWindow(w, this.audit(actor, 'create', null, w));
    index.putWindow(w);
    changes.changed('window', w.id);
    return w;
  }

  /** Cancels an authorized window: the household is armed again at once. */
  async cancel(id: string, actor: Actor): Promise<Window> {
    const { index, store, changes } = this.ctx;
    const w = index.window(id);
    if (!w) throw notFound('window', id);
    await store.deleteWindow(id, this.audit(actor, 'cancel', w, null));
    index.removeWindow(w);
    changes.changed('window', id);
    return w;
  }

  /** A household's window lies at its node and goes with its purge; a node's window lies at the node. */
  private audit(actor: Actor, action: string, before: Window | null, after: Window | null): AuditEntry {
    const w = (before ?? after) as Window;
    const about = { entity: 'window', entityId: w.id, action };
    const change =
      w.householdId !== null
        ? householdAuditChange(this.ctx.index, about, w.householdId)
        : { ...about, gridId: w.gridId };
    return auditEntry(this.ctx.clock.now(), actor, change, before, after);
  }
}
