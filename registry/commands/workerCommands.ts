import { conflict, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import { newWorker } from '../newRecords.ts';
import type { CreateWorker, UpdateWorker, Worker } from '../schemas.ts';
import { maskWebhook } from '../webhookMask.ts';
import { type CommandContext, definedFields, requireGridNode } from './commandContext.ts';

/**
 * What the worker commands write. A write given an audit entry writes it in the same transaction
 * (the commands always give one; seeds of tests and benchmarks write without).
 */
export interface WorkerStore {
  insertWorker(worker: Worker, audit?: AuditEntry): Promise<void>;
  /** Replaces the whole record (the registry merged the change); ids never change. */
  updateWorker(worker: Worker, audit?: AuditEntry): Promise<void>;
  deleteWorker(id: string, audit?: AuditEntry): Promise<void>;
}

/** The worker as the audit trail keeps it: the webhook masked as every answer shows it (it holds the robot's key). */
export const auditedWorker = (w: Worker): Worker => ({
  ...w,
  webhook: w.webhook === null ? null : maskWebhook(w.webhook),
});

/** The people alerts are routed to, each placed on a grid node. */
export class WorkerCommands {
  constructor(private readonly ctx: CommandContext<WorkerStore>) {}

  async create(input: CreateWorker, actor: Actor): Promise<Worker> {
    const { index, store, changes, clock } = this.ctx;
    if (index.worker(input.id)) throw conflict(`worker '${input.id}' already exists`, { id: input.id });
    requireGridNode(index, input.gridId);
    const w = newWorker(input, clock.now());
    await store.insertWorker(w, this.audit(actor, 'create', null, w));
    index.putWorker(w);
    changes.changed('worker', w.id);
    return w;
  }

  async update(id: string, change: UpdateWorker, actor: Actor): Promise<Worker> {
    const { index, store, changes } = this.ctx;
    const w = index.worker(id);
    if (!w) throw notFound('worker', id);
    if (change.gridId !== undefined) requireGridNode(index, change.gridId);
    const next: Worker = { ...w, ...definedFields(change) };
    await store.updateWorker(next, this.audit(actor, 'update', w, next));
    index.putWorker(next);
    changes.changed('worker', id);
    return next;
  }

  /** Alerts the worker held keep their history and go on escalating to the leaders above. */
  async delete(id: string, actor: Actor): Promise<Worker> {
    const { index, store, changes } = this.ctx;
    const w = index.worker(id);
    if (!w) throw notFound('worker', id);
    await store.deleteWorker(id, this.audit(actor, 'delete', w, null));
    index.removeWorker(id);
    changes.changed('worker', id, true);
    return w;
  }

  /** The entry lies at the worker's node; a move lies where the old and the new node meet. */
  private audit(actor: Actor, action: string, before: Worker | null, after: Worker | null): AuditEntry {
    const versions = [before, after].flatMap((w) => (w ? [w] : []));
    const change = {
      entity: 'worker',
      entityId: (versions[0] as Worker).id,
      action,
      gridId: this.ctx.index.tree.commonAncestor(versions.map((w) => w.gridId)),
    };
    const view = (w: Worker | null) => w && auditedWorker(w);
    return auditEntry(this.ctx.clock.now(), actor, change, view(before), view(after));
  }
}
