import type { StoredAlert, Written } from '../alertStore.ts';
import { rescheduledEscalation } from '../escalation.ts';
import { escalationChain } from '../routing.ts';
import { DecisionBatch } from './decisionBatch.ts';
import type { Decisions } from './decisions.ts';
import type { EngineContext } from './engineContext.ts';

/**
 * A policy changed at a node (or a node moved, and its subtree inherits from elsewhere now): the
 * open alerts below it take the new escalation steps from their next step on. Their stored
 * deadlines are recomputed (escalation.ts `rescheduledEscalation`): one already passed stays due,
 * so a change never loses an escalation; a new one in the past fires at the next sweep. Everything
 * else the policy sets (grace, opens per day, battery, outage, announce span) is read afresh by the
 * rules at their next decision and needs nothing here.
 */
export class PolicyChanges {
  constructor(
    private readonly c: EngineContext,
    private readonly decisions: Decisions,
  ) {}

  /** Reschedules the open alerts at `rootId` and below (null: everywhere). One decision of the queue. */
  rescheduleEscalations(rootId: string | null): Written {
    const { memory, org, policies } = this.c;
    const { registry, clock, logger } = this.c.o;
    const now = clock.now();
    const batch = new DecisionBatch();
    for (const a of memory.byId.values()) {
      if (a.nextEscalationAt === undefined || a.status !== 'open') continue;
      if (rootId !== null && !registry.tree.isWithin(a.gridId, rootId)) continue;
      const chain = escalationChain(org, a.gridId);
      const next = rescheduledEscalation(a, chain.length, policies.escalationStepsAt(a.gridId), now);
      if (next === a.nextEscalationAt) continue;
      const { nextEscalationAt: _, ...rest } = a;
      batch.put((next === undefined ? rest : { ...rest, nextEscalationAt: next }) as StoredAlert, null);
    }
    if (batch.alerts.size > 0)
      logger.info(
        { rootId, alerts: batch.alerts.size },
        'policy changed: open alerts take the new escalation steps from their next step',
      );
    return this.decisions.commit(batch);
  }
}
