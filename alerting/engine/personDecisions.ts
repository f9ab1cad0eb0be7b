import { conflict, notFound } from '../../core/errors.ts';
import { type AuditEntry, auditEntry } from '../../registry/auditTrail.ts';
import type { AlertChange } from '../alertModel.ts';
import type { StoredAlert } from '../alertStore.ts';
import { acknowledge, resolve } from '../lifecycle.ts';
import { escalates, escalationChain, type Worker } from '../routing.ts';
import { DecisionBatch } from './decisionBatch.ts';
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
          audit: t.change ? [this.audit(a, next, t.change)] : [],
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
        this.c.queue.watch(
          this.c.o.store.apply({
            alerts: [next],
            changes: [t.change],
            audit: [this.audit(a, next, t.change)],
          }),
        ),
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
   * Gives the alert to another worker (the caller checked the worker may take it), who is notified
   * at once on their channels ('assigned'), as the first assignee was at the opening. An open
   * alert's escalation restarts for them: the next level is told one first step (the node's
   * escalation steps) from now, not at the deadline the former assignee had; from there the chain
   * goes on by the alert's own schedule (counted from its opening, as every step is), so leaders
   * already told are not told again. An acknowledged alert stays acknowledged; a resolved one
   * cannot be given to anyone.
   */
  async assign(id: string, worker: Worker, actor: string): Promise<StoredAlert> {
    return this.withAlert(id, (a) => {
      if (a.status === 'resolved') throw conflict(`alert '${id}' is already resolved`, { alertId: id });
      if (a.assignee === worker.id)
        throw conflict(`alert '${id}' is already assigned to '${worker.id}'`, { alertId: id });
      const now = this.c.o.clock.now();
      const next: StoredAlert = { ...a, assignee: worker.id, ...this.restartedEscalation(a, now) };
      if (next.nextEscalationAt === undefined) delete next.nextEscalationAt;
      const change: AlertChange = {
        alertId: id,
        kind: 'assigned',
        at: now,
        actor,
        detail: { from: a.assignee, to: worker.id },
      };
      const batch = new DecisionBatch();
      batch.put(next, change);
      batch.audit.push(this.audit(a, next, change));
      this.decisions.notify(batch, next, 'assigned', [worker], now);
      // Written, then memory, the bus, the outbox's dispatcher and the sweep's deadline.
      return whenWritten(this.decisions.commit(batch), () => {
        this.c.o.logger.info({ alertId: id, actor, from: a.assignee, to: worker.id }, 'alert assigned');
        return next;
      });
    });
  }

  /** A person's note on the alert, kept in its history; the alert itself does not change. */
  async comment(id: string, note: string, actor: string): Promise<StoredAlert> {
    return this.withAlert(id, (a) => {
      const at = this.c.o.clock.now();
      const change: AlertChange = { alertId: id, kind: 'commented', at, actor, detail: { note } };
      const audit = auditEntry(
        at,
        { name: actor },
        { entity: 'alert', entityId: id, action: 'comment', gridId: a.gridId, householdId: a.householdId },
        null,
        { note },
      );
      const written = this.c.queue.watch(this.c.o.store.apply({ changes: [change], audit: [audit] }));
      return whenWritten(written, () => {
        this.c.o.logger.info({ alertId: id, actor }, 'alert commented');
        this.decisions.tell([{ alert: a, change }]);
        return a;
      });
    });
  }

  private restartedEscalation(a: StoredAlert, now: number): Pick<StoredAlert, 'nextEscalationAt'> {
    if (a.status !== 'open' || !escalates(a.severity)) return { nextEscalationAt: a.nextEscalationAt };
    const chain = escalationChain(this.c.org, a.gridId, now);
    const first = this.c.policies.escalationStepsAt(a.gridId)[0];
    if (a.escalationLevel >= chain.length || first === undefined) return { nextEscalationAt: undefined };
    return { nextEscalationAt: now + first };
  }

  /** The audit trail's entry for a person's change of an alert (same transaction as the change). */
  private audit(before: StoredAlert, after: StoredAlert, change: AlertChange): AuditEntry {
    const action = { acknowledged: 'acknowledge', resolved: 'resolve', assigned: 'assign' }[
      change.kind as 'acknowledged' | 'resolved' | 'assigned'
    ];
    return auditEntry(
      change.at,
      { name: change.actor },
      // Notes are free text: a household's alert entries go with the household's privacy purge.
      {
        entity: 'alert',
        entityId: before.id,
        action: action ?? change.kind,
        gridId: before.gridId,
        householdId: before.householdId,
      },
      auditedAlert(before),
      { ...auditedAlert(after), ...change.detail },
    );
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

/** What the audit trail keeps of an alert: what people change (the rule's detail stays with the alert). */
function auditedAlert(a: StoredAlert): Record<string, unknown> {
  return {
    status: a.status,
    assignee: a.assignee,
    escalationLevel: a.escalationLevel,
    ...(a.outcome !== undefined ? { outcome: a.outcome } : {}),
  };
}
