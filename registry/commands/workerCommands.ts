import { conflict, notFound } from '../../core/errors.ts';
import { newWorker } from '../newRecords.ts';
import type { CreateWorker, UpdateWorker, Worker } from '../schemas.ts';
import { type CommandContext, definedFields, requireGridNode } from './commandContext.ts';

/** What the worker commands write. */
export interface WorkerStore {
  insertWorker(worker: Worker): Promise<void>;
  /** Replaces the whole record (the registry merged the change); ids never change. */
  updateWorker(worker: Worker): Promise<void>;
  deleteWorker(id: string): Promise<void>;
}

/** The people alerts are routed to, each placed on a grid node. */
export class WorkerCommands {
  constructor(private readonly ctx: CommandContext<WorkerStore>) {}

  async create(input: CreateWorker): Promise<Worker> {
    const { index, store, changes, clock } = this.ctx;
    if (index.worker(input.id)) throw conflict(`worker '${input.id}' already exists`, { id: input.id });
    requireGridNode(index, input.gridId);
    const w = newWorker(input, clock.now());
    await store.insertWorker(w);
    index.putWorker(w);
    changes.changed('worker', w.id);
    return w;
  }

  async update(id: string, change: UpdateWorker): Promise<Worker> {
    const { index, store, changes } = this.ctx;
    const w = index.worker(id);
    if (!w) throw notFound('worker', id);
    if (change.gridId !== undefined) requireGridNode(index, change.gridId);
    const next: Worker = { ...w, ...definedFields(change) };
    await store.updateWorker(next);
    index.putWorker(next);
    changes.changed('worker', id);
    return next;
  }

  /** Alerts the worker held keep their history and go on escalating to the leaders above. */
  async delete(id: string): Promise<Worker> {
    const { index, store, changes } = this.ctx;
    const w = index.worker(id);
    if (!w) throw notFound('worker', id);
    await store.deleteWorker(id);
    index.removeWorker(id);
    changes.changed('worker', id, true);
    return w;
  }
}
