import { notFound } from '../../core/errors.ts';
import type { StoredAlert } from '../alertStore.ts';
import { acknowledge, resolve } from '../lifecycle.ts';
import { whenWritten } from './decisionQueue.ts';
import type { Decisions } from './decisions.ts';
import type { EngineContext } from './engineContext.ts';

/** An alert resolved between a caller's look-up and its turn in the queue: look it up again. */
const LOOK_AGAIN = Symbol('look again');

/**
 * What people decide about an alert: acknowledge it (in the API, or with the link in a
 * notification, whose nonce is used up in the same transaction) and resolve it with an outcome.
 * Each is one task of the engine's serial queue, written before memory and the bus hear of it.
 */
export class PersonDecisions {
  constructor(
    private readonly c: EngineContext,
    private readonly decisions: Decisions,
  ) {}

  async acknowledge(
    id: string,
    actor: string,
    note?: string,
    extra: { nonce?: { nonce: string; recipientId: string } } = {},
  ): Promise<StoredAlert> {
    return this.withAlert(id, (a) => {
      const now = this.c.o.clock.now();
      const t = acknowledge(a, actor, now, note);
      const next: StoredAlert = { ...(t.alert as StoredAlert), detail: a.detail };
      if (!t.change && !extra.nonce) return a;
      const written = this.c.queue.watch(
        this.c.o.store.apply({
          alerts: t.change ? [next] : [],
          changes: t.change ? [t.change] : [],
          ...(extra.nonce
            ? {
                nonces: [
                  {
                    nonce: extra.nonce.nonce,
                    alertId: id,
                    recipientId: extra.nonce.recipientId,
                    usedAt: now,
                  },
                ],
              }
            : {}),
        }),
      );
      return whenWritten(written, () => {
        if (!t.change) return a;
        this.c.memory.remember(next);
        this.c.o.logger.info({ alertId: id, actor }, 'alert acknowledged');
        this.decisions.tell([{ alert: next, change: t.change }]);
        return next;
      });
    });
  }

  async resolve(id: string, input: { outcome: string; note: string }, actor: string): Promise<StoredAlert> {
    return this.withAlert(id, (a) => {
      const t = resolve(a, input, actor, this.c.o.clock.now());
      const next: StoredAlert = { ...(t.alert as StoredAlert), detail: a.detail };
      return whenWritten(
        this.c.queue.watch(this.c.o.store.apply({ alerts: [next], changes: [t.change] })),
        () => {
          this.c.memory.remember(next);
          this.c.o.logger.info({ alertId: id, actor, outcome: input.outcome }, 'alert resolved');
          this.decisions.tell([{ alert: next, change: t.change }]);
          return next;
        },
      );
    });
  }

  /**
   * Runs `decide` in the queue on the alert as it is then. An unresolved alert is in memory; a
   * resolved one is read before the queue (it no longer changes), so the task itself never waits
   * for a read.
   */
  private async withAlert(
    id: string,
    decide: (a: StoredAlert) => StoredAlert | Promise<StoredAlert>,
  ): Promise<StoredAlert> {
    for (;;) {
      const seen = this.c.memory.byId.get(id) ?? (await this.c.o.store.get(id));
      if (!seen) throw notFound('alert', id);
      const result = await this.c.queue.run(() => {
        const a = this.c.memory.byId.get(id) ?? (seen.status === 'resolved' ? seen : undefined);
        return a ? decide(a) : LOOK_AGAIN;
      });
      if (result !== LOOK_AGAIN) return result;
    }
  }
}
