import { randomUUID } from 'node:crypto';
import type { StoredAlert } from '../alertStore.ts';
import { alertChannels } from '../channelPlan.ts';
import { type Channel, planNotifications } from '../notificationPlan.ts';
import type { LifecycleEvent } from '../notificationTexts.ts';
import type { Worker } from '../routing.ts';
import { type DecisionBatch, pendingOutboxRow } from './decisionBatch.ts';
import type { EngineContext } from './engineContext.ts';

/**
 * Which notifications an alert event causes: the channels of the node's channel plan for the
 * alert's severity (alerting/channelPlan.ts), those that are on, for each recipient that has them,
 * written as outbox rows in the decision's batch.
 */
export class AlertNotifications {
  /** The channels that are on (a notifier configured for each). */
  private readonly channels: Set<Channel>;

  constructor(
    private readonly c: EngineContext,
    private readonly address: (a: StoredAlert) => string | null,
  ) {
    this.channels = new Set(c.o.notifiers.map((n) => n.channel));
  }

  /**
   * Outbox rows for everyone `recipients` names, on the channels that are on and that the channel
   * plan of the alert's node names for its severity at once (alerting/channelPlan.ts). An opening
   * also writes the plan's later steps for the assignee, each a row due at its step: stored, so a
   * restart neither loses nor repeats it; one that waits for no acknowledgement is skipped when due.
   */
  notify(
    batch: DecisionBatch,
    alert: StoredAlert,
    event: LifecycleEvent,
    recipients: readonly Worker[],
    now: number,
  ): void {
    const plan = alertChannels(this.c.policies.at(alert.gridId).channelPlan, alert.severity);
    this.plan(batch, alert, event, recipients, now, plan.now, null);
    if (event !== 'opened') return;
    const assignee = recipients.filter((w) => w.id === alert.assignee);
    for (const step of plan.later)
      this.plan(
        batch,
        alert,
        event,
        assignee.length > 0 ? assignee : recipients,
        now,
        new Set(step.channels),
        {
          at: alert.openedAt + step.afterMs,
          ifUnacknowledged: step.ifUnacknowledged,
        },
      );
  }

  private plan(
    batch: DecisionBatch,
    alert: StoredAlert,
    event: LifecycleEvent,
    recipients: readonly Worker[],
    now: number,
    wanted: ReadonlySet<Channel>,
    later: { at: number; ifUnacknowledged: boolean } | null,
  ): void {
    const { o, org } = this.c;
    const channels = new Set([...wanted].filter((c) => this.channels.has(c)));
    const reachable = recipients.map((w) => ({
      ...w,
      email: channels.has('email') ? w.email : null,
      webhook: channels.has('webhook') ? w.webhook : null,
      phone: channels.has('sms') || channels.has('voice') ? w.phone : null,
      mentionPhone: w.phone,
    }));
    const codes = channels.has('sms') ? o.smsReplyCodes : undefined;
    const { deliveries, unreachable } = planNotifications({
      alert,
      event,
      detail: alert.detail,
      recipients: reachable,
      address: this.address(alert) ?? undefined,
      gridPath: org.pathNames(alert.gridId),
      locale: o.locale,
      tz: o.tz,
      publicUrl: o.publicUrl,
      ackKey: o.ackKey,
      now,
      newId: randomUUID,
      channels,
      ...(later?.ifUnacknowledged ? { ifUnacknowledged: true } : {}),
      ...(codes ? { smsReplyCode: (recipientId: string) => codes.allocate(recipientId, alert.id) } : {}),
    });
    if (later) {
      // A later step on a channel that is off, or to someone without it, is nobody's loss at once.
      // Debug, not info: with the default plan and no voice gateway it is every breach's, and it was
      // one of three lines written on the event loop inside the breach's transaction (issue 20.5).
      if (deliveries.length === 0)
        o.logger.debug({ alertId: alert.id, channels: [...wanted] }, 'later channel step: nothing to send');
    } else {
      if (unreachable.length > 0) {
        o.logger.warn({ alertId: alert.id, unreachable, event }, 'recipients without a usable channel');
      }
      if (recipients.length === 0) o.logger.warn({ alertId: alert.id, event }, 'nobody to notify');
    }
    for (const d of deliveries) {
      const row = pendingOutboxRow(
        {
          id: d.notification.id,
          alertId: alert.id,
          kind: 'alert',
          channel: d.channel,
          recipientId: d.recipientId,
          notification: d.notification,
        },
        now,
      );
      batch.outbox.push(later ? { ...row, nextAttemptAt: Math.max(now, later.at) } : row);
    }
  }
}
