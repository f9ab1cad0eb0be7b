import { notFound } from '../../core/errors.ts';
import { newWindow } from '../newRecords.ts';
import type { CreateWindow, Window } from '../schemas.ts';
import { type CommandContext, requireGridNode, requireHousehold } from './commandContext.ts';

/** What the window commands write. */
export interface WindowStore {
  insertWindow(window: Window): Promise<void>;
  deleteWindow(id: string): Promise<void>;
}

/** Authorized windows: a household, or a whole grid node, disarmed for a while. */
export class WindowCommands {
  constructor(private readonly ctx: CommandContext<WindowStore>) {}

  async create(input: CreateWindow): Promise<Window> {
    const { index, store, changes, clock } = this.ctx;
    if (input.gridId !== undefined) requireGridNode(index, input.gridId);
    if (input.householdId !== undefined) requireHousehold(index, input.householdId);
    const w = newWindow(input, clock.now());
    await store.insertWindow(w);
    index.putWindow(w);
    changes.changed('window', w.id);
    return w;
  }

  /** Cancels an authorized window: the household is armed again at once. */
  async cancel(id: string): Promise<Window> {
    const { index, store, changes } = this.ctx;
    const w = index.window(id);
    if (!w) throw notFound('window', id);
    await store.deleteWindow(id);
    index.removeWindow(w);
    changes.changed('window', id);
    return w;
  }
}
