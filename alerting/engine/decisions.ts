import { randomUUID } from 'node:crypto';
import type { SealCommitted } from '../../core/events.ts';
import { LevelTagCache } from '../../registry/gridLevelTags.ts';
import { type AlertChange, alertSubjectKey, type Decision, type SealState } from '../alertModel.ts';
import type { StoredAlert, Written } from '../alertStore.ts';
import { firstEscalationAt } from '../escalation.ts';
import { evaluateMessage } from '../evaluateMessage.ts';
import { appendOccurrence, autoResolve, createAlert, notifiedChange } from '../lifecycle.ts';
import type { LifecycleEvent } from '../notificationTexts.ts';
import { escalates, escalationChain, initialRoute, type Worker } from '../routing.ts';
import { quietHeartbeat } from '../rules/quietHeartbeat.ts';
import type { SensorAlertType } from './alertMemory.ts';
import { AlertNotifications } from './alertNotifications.ts';
import type { AlertView } from './alertView.ts';
import { DecisionBatch } from './decisionBatch.ts';
import { afterWrite } from './decisionQueue.ts';
import { type EngineContext, householdRef } from './engineContext.ts';
import type { FeedMark } from './engineOptions.ts';
import { heartbeatOf } from './heartbeatOf.ts';
import type { Settled } from './outboxDispatcher.ts';

const SEVERITY_LEVEL = { maintenance: 1, warning: 2, critical: 3 } as const;
/** Alert types whose subject is one sensor. */
const SENSOR_ALERT_TYPES: readonly SensorAlertType[] = [
  'breach',
  'offline',
  'tamper',
  'lowBattery',
  'doorLeftOpen',
];

/**
 * Turns what the rules and people decide into alerts: a batch of changes written in one
 * transaction (alerts, their history, outbox rows, the seals' and households' alerting facts),
 * then memory, the bus and telemetry. People's decisions are in personDecisions.ts. Each public method is one task of the engine's serial queue;
 * none awaits anything but its own write, so on SQLite a task finishes in its caller's turn.
 */
export class Decisions {
  private readonly notifications: AlertNotifications;
  /** Alert points carry the grid-level roll-up tags too (registry/gridLevelTags.ts, issue 17.8). */
  private readonly levelTags: LevelTagCache;

  constructor(
    private readonly c: EngineContext,
    private readonly deps: {
      view(a: StoredAlert): AlertView;
      address(a: StoredAlert): string | null;
      /** Deliver what the outbox has due now. */
      deliver(): void;
      /** A deadline (escalation, grace) was written: the sweep runs by then. */
      deadline(at: number): void;
    },
  ) {
    this.notifications = new AlertNotifications(c, deps.address);
    this.levelTags = new LevelTagCache(c.org.tree);
  }

  // ---------------------------------------------------------------- messages

  /** A committed seal message: the rules' decisions, written with the feed's mark if it has one. */
  message(e: SealCommitted, mark?: FeedMark): Written {
    const { registry, clock, policy: env } = this.c.o;
    const { memory, tracker } = this.c;
    const msg = e.message;
    if (msg.kind === 'status' && msg.gatewayId !== undefined)
      return this.gatewayStatus({ ...msg, gatewayId: msg.gatewayId }, mark);
    // What the seal did is committed whatever is decided of it: silence and open doors follow it.
    const beat = heartbeatOf(registry, env, msg.sensorId);
    tracker.touch(msg.sensorId, msg.receivedAt, beat.intervalMs, beat.missedBeats);
    if (e.after.door === 'open') this.c.openDoorIds.add(msg.sensorId);
    else this.c.openDoorIds.delete(msg.sensorId);
    const lowBatteryNotified = memory.lowBatteryNotified(msg.sensorId);
    // The common heartbeat decides nothing: the rules, and what they read, are skipped (issue 20.1).
    if (
      msg.kind === 'heartbeat' &&
      quietHeartbeat(
        msg,
        { door: e.before.door, tamper: e.before.tamper, lowBatteryNotified },
        {
          offline: memory.activeForSensor('offline', msg.sensorId) !== undefined,
          lowBattery: memory.activeForSensor('lowBattery', msg.sensorId) !== undefined,
        },
        () => this.c.policies.forSensor(msg.sensorId, registry.household(e.householdId)?.gridId ?? ''),
      )
    )
      return undefined;
    const sensor = registry.sensor(msg.sensorId);
    const inputs = registry.armingInputs(e.householdId);
    const before: SealState = {
      ...e.before,
      lowBatteryNotified,
      commissioningUntil: sensor?.commissioningUntil ?? null,
    };
    const household = householdRef(registry, e.householdId);
    // The policy in force where the household is (grace, opens per day, battery threshold).
    const policy = this.c.policies.forSensor(msg.sensorId, household.gridId);
    const counter = memory.openCounter(e.householdId);
    const evaluated = evaluateMessage({
      msg,
      before,
      household,
      quarantines: inputs.quarantines,
      windows: inputs.windows,
      announcements: this.c.announcements.of(e.householdId),
      active: {
        breach: memory.sensorRef('breach', msg.sensorId),
        offline: memory.sensorRef('offline', msg.sensorId),
        tamper: memory.sensorRef('tamper', msg.sensorId),
        lowBattery: memory.sensorRef('lowBattery', msg.sensorId),
        openCount: memory.ref('openCount', `household:${e.householdId}`),
        doorLeftOpen: memory.sensorRef('doorLeftOpen', msg.sensorId),
      },
      openCounter: counter,
      policy,
      tz: this.c.o.tz,
    });
    const now = clock.now();
    // A silenced sensor raises nothing and adds to nothing: its openings do not count towards the
    // household's opens per day either. What closes an alert (a door closed, back online) still does.
    const evaluation = this.c.silences.active(msg.sensorId, now)
      ? {
          decisions: evaluated.decisions.filter((d) => d.kind === 'resolve' || d.kind === 'logOpen'),
          openCounter: counter,
        }
      : evaluated;
    const batch = new DecisionBatch();
    if (evaluation.openCounter && evaluation.openCounter !== counter) {
      batch.openCounters.push({ householdId: e.householdId, counter: evaluation.openCounter });
    }
    for (const d of evaluation.decisions) this.apply(batch, d, now);
    // Only with decisions: a message that decided nothing changes nothing when it is decided again.
    if (mark && !batch.empty) batch.state[mark.key] = mark.value;
    return this.commit(batch);
  }

  /** A gateway's status relayed for one of its sensors: not the sensor's sign of life (gatewayWatch.ts). */
  private gatewayStatus(
    msg: { gatewayId: string; sensorId: string; online: boolean; receivedAt: number },
    mark?: FeedMark,
  ): Written {
    const batch = new DecisionBatch();
    const then = this.c.gateways.status(msg, batch);
    if (!then) return undefined;
    if (mark) batch.state[mark.key] = mark.value;
    return afterWrite(this.commit(batch), then);
  }

  /**
   * A sensor taken off the registry: its open alerts close themselves (`sensorReplaced` when another
   * sensor took over its door, naming it), its pending breach goes.
   */
  sensorRemoved(sensorId: string, replacedBy?: string): Written {
    const now = this.c.o.clock.now();
    const batch = new DecisionBatch();
    const reason = replacedBy === undefined ? 'sensorRemoved' : 'sensorReplaced';
    const detail = replacedBy === undefined ? {} : { replacedBy };
    for (const type of SENSOR_ALERT_TYPES) {
      const a = this.c.memory.activeForSensor(type, sensorId);
      if (a) this.apply(batch, { kind: 'resolve', alertId: a.id, at: now, reason, detail }, now);
    }
    if (this.c.memory.pending.has(sensorId)) batch.pendingDelete.push(sensorId);
    return this.commit(batch);
  }

  /**
   * A new battery, as a technician reports it: the open low-battery alert resolves
   * (`batteryReplaced`) and the once-per-battery mark is cleared, so the next low reading alerts
   * again. Resolves the resolved alert's id (null: none was open).
   */
  batteryReplaced(sensorId: string, actor: string): Promise<{ resolved: string | null }> {
    const now = this.c.o.clock.now();
    const batch = new DecisionBatch();
    const a = this.c.memory.activeFor('lowBattery', `sensor:${sensorId}`);
    const detail = { by: actor };
    if (a)
      this.apply(batch, { kind: 'resolve', alertId: a.id, at: now, reason: 'batteryReplaced', detail }, now);
    if (this.c.memory.lowBatteryNotified(sensorId)) batch.lowBattery.push({ sensorId, notified: false });
    const result = { resolved: a?.id ?? null };
    // The record of a technician's word when no alert was open to carry it in its history.
    this.c.o.logger.info(
      { sensorId, by: actor, resolvedAlertId: result.resolved },
      'new battery: low-battery alert re-armed',
    );
    return Promise.resolve(this.commit(batch)).then(() => result);
  }

  // ---------------------------------------------------------------- rule decisions into a batch

  apply(batch: DecisionBatch, d: Decision, now: number): void {
    const { memory } = this.c;
    switch (d.kind) {
      case 'raise': {
        // The sweeps' raises too (offline, a grace's end, a door left open): none from a silenced sensor.
        if (d.alert.sensorId !== undefined && this.c.silences.active(d.alert.sensorId, now)) {
          this.c.o.logger.info(
            { sensorId: d.alert.sensorId, type: d.alert.type },
            'sensor silenced: alert not raised',
          );
          return;
        }
        const existing = memory.current(batch, memory.activeFor(d.alert.type, alertSubjectKey(d.alert))?.id);
        if (existing && existing.status !== 'resolved') {
          // Raced with another path to the same subject: one active instance, so fold it in.
          const t = appendOccurrence(existing, d.alert.openedAt, d.alert.detail);
          batch.put({ ...existing, ...t.alert }, t.change);
          return;
        }
        this.raise(batch, d.alert, now);
        return;
      }
      case 'append': {
        const a = memory.current(batch, d.alertId);
        if (!a || a.status === 'resolved') return;
        const t = appendOccurrence(a, d.at, d.detail);
        batch.put({ ...a, ...t.alert }, t.change);
        return;
      }
      case 'resolve': {
        const a = memory.current(batch, d.alertId);
        if (!a) return;
        const t = autoResolve(a, d.reason, d.at, d.detail);
        if (t) batch.put({ ...a, ...t.alert }, t.change);
        return;
      }
      case 'pendingBreach': {
        if (memory.pending.has(d.sensorId)) return; // the first opening's grace keeps running
        batch.pendingPut.push({
          sensorId: d.sensorId,
          householdId: d.householdId,
          openedAt: d.openedAt,
          dueAt: d.dueAt,
        });
        return;
      }
      case 'logOpen':
        this.c.o.logger.info(
          { sensorId: d.sensorId, householdId: d.householdId, at: d.at, why: d.why },
          'door opened: logged, not alerted',
        );
        return;
      case 'setLowBatteryNotified':
        batch.lowBattery.push({ sensorId: d.sensorId, notified: d.value });
        return;
    }
  }

  private raise(
    batch: DecisionBatch,
    alert: Extract<Decision, { kind: 'raise' }>['alert'],
    now: number,
  ): void {
    const { org, o } = this.c;
    const chain = escalates(alert.severity) ? escalationChain(org, alert.gridId) : [];
    const route = initialRoute(org, alert, now);
    const t = createAlert(
      alert,
      randomUUID(),
      route.assignee?.id ?? null,
      firstEscalationAt(alert.openedAt, chain.length, this.c.policies.escalationStepsAt(alert.gridId)),
    );
    const raised: StoredAlert = { ...t.alert, detail: alert.detail };
    batch.put(raised, t.change);
    o.logger.info(
      {
        alertId: raised.id,
        type: raised.type,
        sensorId: raised.sensorId,
        gridId: raised.gridId,
        assignee: raised.assignee,
        recipients: route.recipients.map((w) => w.id),
      },
      'alert raised',
    );
    this.notify(batch, raised, 'opened', route.recipients, now);
    if (alert.type === 'breach' && alert.sensorId) batch.pendingDelete.push(alert.sensorId);
  }

  /** The outbox rows an alert event causes (alertNotifications.ts); the sweeps' escalations use it too. */
  notify(
    batch: DecisionBatch,
    alert: StoredAlert,
    event: LifecycleEvent,
    recipients: readonly Worker[],
    now: number,
  ): void {
    this.notifications.notify(batch, alert, event, recipients, now);
  }

  /** Writes the batch in one transaction; once written, memory takes it in and the bus hears of it. */
  commit(batch: DecisionBatch): Written {
    if (batch.empty) return undefined;
    return afterWrite(this.c.queue.watch(this.c.o.store.apply(batch.toWrite())), () => {
      this.c.memory.absorb(batch);
      this.tell(batch.toTell());
      if (batch.outbox.length > 0) this.deps.deliver();
      for (const a of batch.alerts.values())
        if (a.nextEscalationAt !== undefined) this.deps.deadline(a.nextEscalationAt);
      for (const p of batch.pendingPut) this.deps.deadline(p.dueAt);
      for (const r of batch.outbox) if (r.nextAttemptAt !== null) this.deps.deadline(r.nextAttemptAt);
    });
  }

  /** Telemetry points and `alert.changed` events for changes already written. */
  tell(items: ReadonlyArray<{ alert: StoredAlert; change: AlertChange }>): void {
    if (items.length === 0) return;
    this.c.o.telemetry.append(
      items.map(({ alert, change }) => ({
        measurement: 'alert' as const,
        tags: {
          ...this.levelTags.of(alert.gridId),
          type: alert.type,
          grid: alert.gridId,
          change: change.kind,
          ...(alert.sensorId ? { sensor: alert.sensorId } : {}),
          ...(alert.householdId ? { household: alert.householdId } : {}),
        },
        fields: { count: alert.count, severity: SEVERITY_LEVEL[alert.severity] },
        time: change.at,
      })),
    );
    for (const { alert, change } of items) {
      this.c.o.bus.emit('alert.changed', { alert: this.deps.view(alert), change: change.kind });
    }
  }

  // ---------------------------------------------------------------- deliveries

  /** A delivery attempt ended: its row and the alert's history in one transaction. False: not recorded. */
  async settle(s: Settled): Promise<boolean> {
    const { o, memory } = this.c;
    const change =
      s.row.alertId === null
        ? null
        : notifiedChange(s.row.alertId, o.clock.now(), {
            channel: s.row.channel,
            recipientId: s.row.recipientId,
            status: s.update.status,
            outboxId: s.row.id,
            ...(s.update.lastError ? { error: s.update.lastError } : {}),
            // A call's id from the vendor's answer, on the alert itself (voice/voiceChannel.ts).
            ...(s.row.channel === 'voice' && s.result.status === 'delivered' && s.result.detail
              ? { call: s.result.detail }
              : {}),
          });
    try {
      await this.c.queue.run(() =>
        o.store.apply({ outboxUpdates: [s.update], changes: change ? [change] : [], replayable: true }),
      );
    } catch (err) {
      // The database is closing (shutdown during a send) or gone: the row stays as it was before the
      // send and is retried after the next start (outboxDispatcher.ts).
      o.logger.warn({ err, outboxId: s.row.id }, 'delivery outcome not recorded');
      return false;
    }
    if (s.update.status === 'delivered') {
      o.logger.info(
        {
          outboxId: s.row.id,
          alertId: s.row.alertId,
          channel: s.row.channel,
          recipientId: s.row.recipientId,
        },
        'notification delivered',
      );
    }
    if (change && s.row.alertId) {
      const alert =
        memory.byId.get(s.row.alertId) ?? (await o.store.get(s.row.alertId).catch(() => undefined));
      if (alert) this.tell([{ alert, change }]);
    }
    return true;
  }
}
