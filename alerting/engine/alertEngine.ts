import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { conflict, notFound } from '../../core/errors.ts';
import type { EventBus } from '../../core/eventBus.ts';
import type { SealCommitted, ServiceEvents } from '../../core/events.ts';
import { activeQuarantine } from '../../registry/arming.ts';
import {
  type ActiveAlertRef,
  type AlertChange,
  type AlertType,
  alertSubjectKey,
  type Clock,
  type Decision,
  type HouseholdRef,
  type Policy,
  type SealState,
} from '../alertModel.ts';
import type { AlertStore, OutboxRow, StoredAlert, StoredAnnouncement } from '../alertStore.ts';
import type { BackoffOptions } from '../backoff.ts';
import { dueEscalation, firstEscalationAt } from '../escalation.ts';
import { evaluateMessage } from '../evaluateMessage.ts';
import {
  acknowledge,
  appendOccurrence,
  applyEscalation,
  autoResolve,
  createAlert,
  notifiedChange,
  resolve,
} from '../lifecycle.ts';
import { type Channel, planNotifications } from '../notificationPlan.ts';
import {
  alertTitle,
  type LifecycleEvent,
  type Locale,
  subjectOf,
  summaryMessage,
} from '../notificationTexts.ts';
import { RobotRateGate } from '../notifiers/robotRateLimit.ts';
import type { Notifier } from '../notifiers/types.ts';
import { OfflineTracker } from '../offlineTracker.ts';
import { RecipientLimiter, type SummaryReadyAt } from '../recipientLimiter.ts';
import { escalates, escalationChain, initialRoute, OrgChart, type Worker } from '../routing.ts';
import { breachesAtWindowEnds, confirmPendingBreach } from '../rules/breach.ts';
import { inCommissioning } from '../rules/commissioning.ts';
import { detectClockJump, evaluateOfflineSweep, type SilentSensorView } from '../rules/offline.ts';
import type { OpenCounter } from '../rules/openCount.ts';
import { type AlertView, alertView, changeView, deliveryView } from './alertView.ts';
import { limiterKey, OutboxDispatcher, robotOf, type Settled } from './outboxDispatcher.ts';
import type { AlertingRegistry, AlertTelemetry, SealStates } from './ports.ts';

/** Sweeps never follow each other closer than this, whatever deadline is due. */
const MIN_SWEEP_GAP_MS = 50;
const SEVERITY_LEVEL = { maintenance: 1, warning: 2, critical: 3 } as const;
const LAST_SWEEP_KEY = 'sweep.lastAt';
/** The sensors silent at the last sweep (JSON array of ids), so a restart knows which silences it saw. */
const SILENT_KEY = 'offline.silent';
/** After a long stop, windows that ended more than this long ago are not judged any more. */
const WINDOW_LOOKBACK_MS = 24 * 60 * 60_000;
const COUNTS_TTL_MS = 30_000;

export interface AlertEngineOptions {
  registry: AlertingRegistry;
  seals: SealStates;
  store: AlertStore;
  bus: EventBus<ServiceEvents>;
  telemetry: AlertTelemetry;
  /** The channels that are on (no SMTP_URL → no e-mail notifier). */
  notifiers: readonly Notifier[];
  clock: Clock;
  logger: Logger;
  policy: Policy;
  /** ESCALATE_AFTER, in ms from the opening. */
  escalateAfter: readonly number[];
  tz: string;
  locale: Locale;
  publicUrl: string;
  ackKey: Buffer;
  /** Period of the sweep (offline, window ends, graces, escalations, retries). */
  sweepMs: number;
  backoff?: Partial<BackoffOptions>;
  limiter?: { limit: number; windowMs: number };
  /**
   * Where committed seal messages come from (default: this process's bus). Several instances on
   * one database feed the owner every instance's messages instead (storage/postgres/sealFeed.ts).
   */
  committedFeed?: (listener: (e: SealCommitted, mark?: FeedMark) => void) => () => void;
  /**
   * CONNECTs the broker has received and not yet answered (0 without an embedded broker). After a
   * start, offline detection waits until they have drained: a county's seals logging back in are
   * not silent, however long the queue at the door.
   */
  connectBacklog?: () => number;
}

/**
 * Where a message stands in a durable feed. Written in the same transaction as the decisions the
 * message led to, so a reader that crashed mid-group knows exactly which messages it already decided
 * and decides none of them twice (a repeated opening counted twice, a counter raised twice).
 */
export interface FeedMark {
  key: string;
  value: string;
}

/** However long the log-in queue after a start, offline detection resumes this long after the start at the latest. */
const MAX_STARTUP_GRACE_MS = 15 * 60_000;

/** One decision batch: what to write in one transaction and what to tell afterwards. */
class Batch {
  readonly alerts = new Map<string, StoredAlert>();
  readonly changes: AlertChange[] = [];
  readonly outbox: OutboxRow[] = [];
  readonly told: Array<{ alertId: string; change: AlertChange }> = [];
  readonly lowBattery: Array<{ sensorId: string; notified: boolean }> = [];
  readonly openCounters: Array<{ householdId: string; counter: OpenCounter }> = [];
  readonly pendingPut: Array<{ sensorId: string; householdId: string; openedAt: number; dueAt: number }> = [];
  readonly pendingDelete: string[] = [];
  readonly summarized: Array<{ rowId: string; summaryId: string }> = [];
  state: Record<string, string> = {};

  put(alert: StoredAlert, change: AlertChange | null): void {
    this.alerts.set(alert.id, alert);
    if (change) {
      this.changes.push(change);
      this.told.push({ alertId: alert.id, change });
    }
  }

  get empty(): boolean {
    return (
      this.alerts.size === 0 &&
      this.changes.length === 0 &&
      this.outbox.length === 0 &&
      this.lowBattery.length === 0 &&
      this.openCounters.length === 0 &&
      this.pendingPut.length === 0 &&
      this.pendingDelete.length === 0 &&
      this.summarized.length === 0 &&
      Object.keys(this.state).length === 0
    );
  }
}

/**
 * The alerting engine: reacts to committed seal messages, sweeps for time-based rules, applies the
 * rules' decisions in one transaction each, queues notifications in the outbox, escalates, and
 * answers the API's alert calls. Every deadline lives in the database; memory holds only indexes
 * rebuilt at start.
 */
/** Alert types whose subject is one sensor. */
const SENSOR_ALERT_TYPES: readonly AlertType[] = ['breach', 'offline', 'tamper', 'lowBattery'];

export class AlertEngine {
  private readonly org: OrgChart;
  /** Unresolved alerts by `type|subjectKey` and by id. */
  private readonly active = new Map<string, StoredAlert>();
  private readonly byId = new Map<string, StoredAlert>();
  private lowBattery = new Map<string, boolean>();
  private counters = new Map<string, OpenCounter>();
  private readonly pending = new Map<
    string,
    { sensorId: string; householdId: string; openedAt: number; dueAt: number }
  >();
  private readonly announcements = new Map<string, StoredAnnouncement[]>();
  private readonly tracker: OfflineTracker;
  /** Sensors whose door is open now: the sweep's window-end rule looks at these only, not every seal. */
  private readonly openDoorIds = new Set<string>();
  private readonly dispatcher: OutboxDispatcher;
  private readonly limiter: RecipientLimiter<OutboxRow>;
  /** Group robots' own budgets (per robot URL), shared by the dispatcher and the summaries. */
  private readonly robots = new RobotRateGate();
  private readonly channels: Set<Channel>;
  private readonly unsubscribe: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private lastSweepAt: number | null = null;
  /** The tracker's silentVersion last written to the store. */
  private silentPersisted = -1;
  private countsCache: { at: number; counts: Map<string, number> } | null = null;
  private readonly startedAt: number;
  /** Until the log-in queue after the start has drained (see connectBacklog). */
  private startingUp = true;
  private stopped = false;

  constructor(private readonly o: AlertEngineOptions) {
    this.org = new OrgChart(o.registry.tree, (id) => o.registry.workersAt(id));
    this.startedAt = o.clock.now();
    this.tracker = new OfflineTracker({ startedAt: this.startedAt });
    this.limiter = new RecipientLimiter<OutboxRow>(o.limiter);
    this.channels = new Set(o.notifiers.map((n) => n.channel));
    this.dispatcher = new OutboxDispatcher({
      store: o.store,
      notifiers: new Map(o.notifiers.map((n) => [n.channel, n])),
      limiter: this.limiter,
      robots: this.robots,
      clock: o.clock,
      logger: o.logger,
      ...(o.backoff ? { backoff: o.backoff } : {}),
      settle: (s) => this.settle(s),
    });
  }

  // ---------------------------------------------------------------- lifecycle

  start(): void {
    const { store, clock, logger } = this.o;
    const now = clock.now();
    const requeued = store.requeueSending(now);
    if (requeued > 0) logger.warn({ requeued }, 'outbox rows claimed before a crash will be sent again');
    for (const a of store.loadUnresolved()) this.remember(a);
    const folded = store.loadFoldedUnsummarized();
    for (const row of folded) this.limiter.restore(limiterKey(row), row);
    if (folded.length > 0)
      logger.info({ folded: folded.length }, 'folded notifications wait for their summary again');
    this.lowBattery = store.loadLowBattery();
    this.counters = store.loadOpenCounters();
    for (const p of store.loadPendingBreaches()) this.pending.set(p.sensorId, p);
    for (const a of store.loadAnnouncements(now)) this.addAnnouncement(a);
    const last = store.getState(LAST_SWEEP_KEY);
    this.lastSweepAt = last === undefined ? null : Number(last);
    const silent = store.getState(SILENT_KEY);
    if (silent !== undefined) this.tracker.resumeFrom(JSON.parse(silent) as string[]);
    this.trackAllSensors();
    for (const st of this.o.seals.allStates()) if (st.door === 'open') this.openDoorIds.add(st.sensorId);
    this.unsubscribe.push(
      (this.o.committedFeed ?? ((l) => this.o.bus.on('seal.decide', l)))((e, mark) =>
        this.onSealCommitted(e, mark),
      ),
      this.o.bus.on('registry.changed', ({ entity, id, removed }) => {
        if (entity === 'household' && !removed) this.purgeIfPurged(id);
        if (entity === 'sensor' && removed) this.forgetSensor(id);
        else if (entity === 'sensor') this.trackSensor(id);
        else if (entity === 'import') this.trackAllSensors();
        if (entity !== 'token') this.countsCache = null;
      }),
    );
    logger.info(
      {
        unresolved: this.byId.size,
        pendingBreaches: this.pending.size,
        tracked: this.tracker.size,
        channels: [...this.channels],
        escalateAfterMs: this.o.escalateAfter,
      },
      'alerting started',
    );
    this.scheduleSweep(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe) off();
    if (this.timer) clearTimeout(this.timer);
    await this.dispatcher.stop();
    for (const n of this.o.notifiers) await n.close();
  }

  /** Deliver what the outbox has due now (after queueing rows from outside a decision). */
  deliverNow(): void {
    this.dispatcher.kick();
  }

  /** Unresolved alerts, for the live page's per-node counts. */
  openAlerts(): Iterable<{ gridId: string; type: string }> {
    return this.byId.values();
  }

  // ---------------------------------------------------------------- messages

  private onSealCommitted(e: SealCommitted, mark?: FeedMark): void {
    const { registry, clock, policy } = this.o;
    const msg = e.message;
    const sensor = registry.sensor(msg.sensorId);
    this.tracker.touch(msg.sensorId, msg.receivedAt, policy.heartbeatIntervalMs, policy.missedBeats);
    if (e.after.door === 'open') this.openDoorIds.add(msg.sensorId);
    else this.openDoorIds.delete(msg.sensorId);
    const household = this.householdRef(e.householdId);
    const inputs = registry.armingInputs(e.householdId);
    const before: SealState = {
      ...e.before,
      lowBatteryNotified: this.lowBattery.get(msg.sensorId) ?? false,
      commissioningUntil: sensor?.commissioningUntil ?? null,
    };
    const counter = this.counters.get(e.householdId) ?? null;
    const sensorKey = `sensor:${msg.sensorId}`;
    const evaluation = evaluateMessage({
      msg,
      before,
      household,
      quarantines: inputs.quarantines,
      windows: inputs.windows,
      announcements: this.announcements.get(e.householdId) ?? [],
      active: {
        breach: this.ref('breach', sensorKey),
        offline: this.ref('offline', sensorKey),
        tamper: this.ref('tamper', sensorKey),
        lowBattery: this.ref('lowBattery', sensorKey),
        openCount: this.ref('openCount', `household:${e.householdId}`),
      },
      openCounter: counter,
      policy,
      tz: this.o.tz,
    });
    const batch = new Batch();
    if (evaluation.openCounter && evaluation.openCounter !== counter) {
      batch.openCounters.push({ householdId: e.householdId, counter: evaluation.openCounter });
    }
    const now = clock.now();
    for (const d of evaluation.decisions) this.apply(batch, d, now);
    // Only with decisions: a message that decided nothing changes nothing when it is decided again.
    if (mark && !batch.empty) batch.state[mark.key] = mark.value;
    this.commit(batch);
  }

  // ---------------------------------------------------------------- decisions

  private apply(batch: Batch, d: Decision, now: number): void {
    switch (d.kind) {
      case 'raise': {
        const key = `${d.alert.type}|${alertSubjectKey(d.alert)}`;
        const existing = this.current(batch, this.active.get(key)?.id);
        if (existing && existing.status !== 'resolved') {
          // Raced with another path to the same subject: one active instance, so fold it in.
          const t = appendOccurrence(existing, d.alert.openedAt, d.alert.detail);
          batch.put({ ...existing, ...t.alert }, t.change);
          return;
        }
        const chain = escalates(d.alert.severity) ? escalationChain(this.org, d.alert.gridId) : [];
        const route = initialRoute(this.org, d.alert);
        const t = createAlert(
          d.alert,
          randomUUID(),
          route.assignee?.id ?? null,
          firstEscalationAt(d.alert.openedAt, chain.length, this.o.escalateAfter),
        );
        const alert: StoredAlert = { ...t.alert, detail: d.alert.detail };
        batch.put(alert, t.change);
        this.o.logger.info(
          {
            alertId: alert.id,
            type: alert.type,
            sensorId: alert.sensorId,
            gridId: alert.gridId,
            assignee: alert.assignee,
            recipients: route.recipients.map((w) => w.id),
          },
          'alert raised',
        );
        this.notify(batch, alert, 'opened', route.recipients, now);
        if (d.alert.type === 'breach' && d.alert.sensorId) batch.pendingDelete.push(d.alert.sensorId);
        return;
      }
      case 'append': {
        const a = this.current(batch, d.alertId);
        if (!a || a.status === 'resolved') return;
        const t = appendOccurrence(a, d.at, d.detail);
        batch.put({ ...a, ...t.alert }, t.change);
        return;
      }
      case 'resolve': {
        const a = this.current(batch, d.alertId);
        if (!a) return;
        const t = autoResolve(a, d.reason, d.at, d.detail);
        if (t) batch.put({ ...a, ...t.alert }, t.change);
        return;
      }
      case 'pendingBreach': {
        if (this.pending.has(d.sensorId)) return; // the first opening's grace keeps running
        batch.pendingPut.push({
          sensorId: d.sensorId,
          householdId: d.householdId,
          openedAt: d.openedAt,
          dueAt: d.dueAt,
        });
        return;
      }
      case 'logOpen':
        this.o.logger.info(
          { sensorId: d.sensorId, householdId: d.householdId, at: d.at, why: d.why },
          'door opened: logged, not alerted',
        );
        return;
      case 'setLowBatteryNotified':
        batch.lowBattery.push({ sensorId: d.sensorId, notified: d.value });
        return;
    }
  }

  /** Outbox rows for everyone `recipients` names, on the channels that are on. */
  private notify(
    batch: Batch,
    alert: StoredAlert,
    event: LifecycleEvent,
    recipients: readonly Worker[],
    now: number,
  ): void {
    const reachable = recipients.map((w) => ({
      ...w,
      email: this.channels.has('email') ? w.email : null,
      webhook: this.channels.has('webhook') ? w.webhook : null,
    }));
    const { deliveries, unreachable } = planNotifications({
      alert,
      event,
      detail: alert.detail,
      recipients: reachable,
      address: this.addressOf(alert) ?? undefined,
      gridPath: this.org.pathNames(alert.gridId),
      locale: this.o.locale,
      tz: this.o.tz,
      publicUrl: this.o.publicUrl,
      ackKey: this.o.ackKey,
      now,
      newId: randomUUID,
    });
    if (unreachable.length > 0) {
      this.o.logger.warn({ alertId: alert.id, unreachable, event }, 'recipients without a usable channel');
    }
    if (recipients.length === 0) this.o.logger.warn({ alertId: alert.id, event }, 'nobody to notify');
    for (const d of deliveries) {
      batch.outbox.push({
        id: d.notification.id,
        alertId: alert.id,
        kind: 'alert',
        channel: d.channel,
        recipientId: d.recipientId,
        notification: d.notification,
        status: 'pending',
        attempts: 0,
        createdAt: now,
        firstAttemptAt: null,
        nextAttemptAt: now,
        deliveredAt: null,
        lastError: null,
      });
    }
  }

  /** Writes the batch in one transaction, then updates memory, tells the bus and telemetry. */
  private commit(batch: Batch): void {
    if (batch.empty) return;
    this.o.store.apply({
      alerts: [...batch.alerts.values()],
      changes: batch.changes,
      outbox: batch.outbox,
      lowBattery: batch.lowBattery,
      openCounters: batch.openCounters,
      pendingPut: batch.pendingPut,
      pendingDelete: batch.pendingDelete,
      summarized: batch.summarized,
      state: batch.state,
    });
    for (const a of batch.alerts.values()) this.remember(a);
    for (const f of batch.lowBattery) this.lowBattery.set(f.sensorId, f.notified);
    for (const c of batch.openCounters) this.counters.set(c.householdId, c.counter);
    for (const p of batch.pendingPut) this.pending.set(p.sensorId, p);
    for (const id of batch.pendingDelete) this.pending.delete(id);
    this.tell(batch.told.map(({ alertId, change }) => ({ alert: batch.alerts.get(alertId)!, change })));
    if (batch.outbox.length > 0) this.dispatcher.kick();
  }

  private tell(items: ReadonlyArray<{ alert: StoredAlert; change: AlertChange }>): void {
    if (items.length === 0) return;
    this.o.telemetry.append(
      items.map(({ alert, change }) => ({
        measurement: 'alert' as const,
        tags: {
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
      this.o.bus.emit('alert.changed', { alert: this.view(alert), change: change.kind });
    }
  }

  private remember(a: StoredAlert): void {
    const key = `${a.type}|${alertSubjectKey(a)}`;
    if (a.status === 'resolved') {
      this.byId.delete(a.id);
      if (this.active.get(key)?.id === a.id) this.active.delete(key);
    } else {
      this.byId.set(a.id, a);
      this.active.set(key, a);
    }
  }

  /** The alert as this batch has it so far, else as memory has it. */
  private current(batch: Batch, id: string | undefined): StoredAlert | undefined {
    if (id === undefined) return undefined;
    return batch.alerts.get(id) ?? this.byId.get(id);
  }

  private ref(type: AlertType, subjectKey: string): ActiveAlertRef {
    const a = this.active.get(`${type}|${subjectKey}`);
    return a ? { id: a.id, status: a.status, count: a.count } : null;
  }

  // ---------------------------------------------------------------- the sweep

  private scheduleSweep(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.sweep();
      } catch (err) {
        this.o.logger.error({ err }, 'alerting sweep failed');
      }
      this.scheduleSweep(this.nextSweepDelay());
    }, delayMs);
  }

  /** The regular period, or sooner when a deadline (escalation, grace, retry, window end) falls earlier. */
  private nextSweepDelay(): number {
    const now = this.o.clock.now();
    let next = now + this.o.sweepMs;
    for (const a of this.byId.values())
      if (a.nextEscalationAt !== undefined) next = Math.min(next, a.nextEscalationAt);
    for (const p of this.pending.values()) next = Math.min(next, p.dueAt);
    // A running delivery pass polls the outbox itself; counting its due rows here would spin the sweep.
    const outbox = this.dispatcher.busy ? null : this.o.store.nextOutboxAt();
    if (outbox !== null) next = Math.min(next, outbox);
    const summary = this.limiter.nextDueAt(this.robotReadyAt(now));
    if (summary !== null) next = Math.min(next, summary);
    for (const end of this.openDoorWindowEnds()) if (end > now) next = Math.min(next, end);
    return Math.max(MIN_SWEEP_GAP_MS, next - now);
  }

  /** Runs every time-based rule once. Public for tests and the bench. */
  sweep(): void {
    const { clock, logger } = this.o;
    const now = clock.now();
    const jump = detectClockJump(this.lastSweepAt, now, this.o.sweepMs);
    if (jump === 'forward') {
      this.tracker.regrace(now);
      logger.warn(
        { lastSweepAt: this.lastSweepAt, now },
        'alerting sweep resumed after a gap: offline grace again',
      );
    } else if (jump === 'backward') {
      logger.warn({ lastSweepAt: this.lastSweepAt, now }, 'clock went backwards');
    }
    this.waitForLogins(now);
    const batch = new Batch();
    this.tracker.expired(now);
    this.sweepOffline(batch, now);
    this.sweepWindowEnds(batch, now);
    this.sweepPendingBreaches(batch, now);
    this.sweepEscalations(batch, now);
    this.sweepSummaries(batch, now);
    this.pruneAnnouncements(now);
    batch.state[LAST_SWEEP_KEY] = String(now);
    if (this.tracker.silentVersion !== this.silentPersisted) {
      batch.state[SILENT_KEY] = JSON.stringify([...this.tracker.silentIds()]);
      this.silentPersisted = this.tracker.silentVersion;
    }
    this.commit(batch);
    this.lastSweepAt = now;
    this.dispatcher.kick();
  }

  /**
   * The start-up grace lasts one window after the start and, while seals are still queueing to log
   * in, one window after the queue was last seen: the grace starts again from now. It ends at the
   * first sweep past the window with an empty queue (or MAX_STARTUP_GRACE_MS after the start).
   */
  private waitForLogins(now: number): void {
    if (!this.startingUp) return;
    const { policy, logger } = this.o;
    const backlog = this.o.connectBacklog?.() ?? 0;
    const window = policy.heartbeatIntervalMs * policy.missedBeats;
    const capped = now - this.startedAt >= MAX_STARTUP_GRACE_MS;
    if (backlog > 0 && !capped) {
      this.tracker.regrace(now);
      return;
    }
    if (now < this.tracker.graceStart + window && !capped) return;
    this.startingUp = false;
    logger.info(
      { startedAt: this.startedAt, graceFrom: this.tracker.graceStart, backlog, capped },
      capped
        ? 'offline detection resumes: the log-in queue after the start did not drain in time'
        : 'offline detection resumes: the log-in queue after the start has drained',
    );
  }

  private sweepOffline(batch: Batch, now: number): void {
    const { registry, policy } = this.o;
    const outages = new Map<string, { id: string; status: StoredAlert['status']; count: number }>();
    for (const a of this.byId.values()) if (a.type === 'outage') outages.set(a.gridId, a);
    if (this.tracker.silentCount === 0 && outages.size === 0) return;
    const silent: SilentSensorView[] = [];
    for (const s of this.tracker.silent()) {
      const sensor = registry.sensor(s.sensorId);
      const household = sensor && registry.household(sensor.householdId);
      if (!sensor || !household) continue;
      silent.push({
        sensorId: s.sensorId,
        householdId: household.id,
        gridPath: registry.tree.pathIds(household.gridId),
        lastSeen: s.lastSeen,
        deadline: s.deadline,
        monitored: this.monitored(sensor, now),
        activeOffline: this.ref('offline', `sensor:${s.sensorId}`),
      });
    }
    const monitoredUnder = (nodeId: string) => this.monitoredCounts(now).get(nodeId) ?? 0;
    const graceEnds = this.tracker.graceStart + policy.heartbeatIntervalMs * policy.missedBeats;
    const decisions = evaluateOfflineSweep({
      now,
      silent,
      monitoredUnder,
      activeOutages: outages,
      policy,
      raiseNotBefore: graceEnds + policy.heartbeatIntervalMs,
    });
    for (const d of decisions) this.apply(batch, d, now);
  }

  private monitored(
    sensor: { householdId: string; commissioningUntil: number | null },
    now: number,
  ): boolean {
    if (inCommissioning(sensor, now)) return false;
    const inputs = this.o.registry.armingInputs(sensor.householdId);
    return activeQuarantine(inputs, now) !== undefined;
  }

  /**
   * Monitored sensors per grid node (subtree counts), computed only when something is silent, and
   * reused for a while: a full pass over 100k sensors every sweep would stall the event loop, and
   * quarantines start and end on a scale of hours. Registry changes drop the cache.
   */
  private monitoredCounts(now: number): Map<string, number> {
    if (this.countsCache && now - this.countsCache.at < COUNTS_TTL_MS && now >= this.countsCache.at)
      return this.countsCache.counts;
    const { registry } = this.o;
    const counts = new Map<string, number>();
    this.countsCache = { at: now, counts };
    for (const s of registry.allSensors()) {
      if (!this.monitored(s, now)) continue;
      const h = registry.household(s.householdId);
      if (!h) continue;
      for (const id of registry.tree.pathIds(h.gridId)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  private *openDoors(): Generator<{ sensorId: string; householdId: string; state: SealState }> {
    for (const id of this.openDoorIds) {
      const st = this.o.seals.state(id);
      if (st?.door !== 'open') continue;
      const sensor = this.o.registry.sensor(st.sensorId);
      if (!sensor) continue;
      yield {
        sensorId: st.sensorId,
        householdId: sensor.householdId,
        state: {
          ...st,
          lowBatteryNotified: false,
          commissioningUntil: sensor.commissioningUntil,
        },
      };
    }
  }

  private *openDoorWindowEnds(): Generator<number> {
    for (const d of this.openDoors()) {
      for (const w of this.o.registry.armingInputs(d.householdId).windows) yield w.end;
    }
  }

  private sweepWindowEnds(batch: Batch, now: number): void {
    const { registry } = this.o;
    const since = Math.max(this.lastSweepAt ?? this.startedAt, now - WINDOW_LOOKBACK_MS);
    const ended = new Map<string, ReturnType<AlertingRegistry['armingInputs']>['windows'][number]>();
    const seals: Parameters<typeof breachesAtWindowEnds>[0]['seals'][number][] = [];
    for (const d of this.openDoors()) {
      const windows = registry.armingInputs(d.householdId).windows;
      const due = windows.filter((w) => w.end > since && w.end <= now);
      if (due.length === 0) continue;
      for (const w of due) ended.set(w.id, w);
      seals.push({
        state: d.state,
        household: this.householdRef(d.householdId),
        active: this.ref('breach', `sensor:${d.sensorId}`),
      });
    }
    if (seals.length === 0) return;
    const decisions = breachesAtWindowEnds({
      endedWindows: [...ended.values()],
      seals,
      quarantinesOf: (h) => registry.armingInputs(h).quarantines,
      windowsOf: (h) => registry.armingInputs(h).windows,
      announcementsOf: (h) => this.announcements.get(h) ?? [],
      lastSweepAt: since,
      now,
    });
    for (const d of decisions) this.apply(batch, d, now);
  }

  private sweepPendingBreaches(batch: Batch, now: number): void {
    const { registry } = this.o;
    for (const p of this.pending.values()) {
      if (p.dueAt > now) continue;
      batch.pendingDelete.push(p.sensorId);
      const inputs = registry.armingInputs(p.householdId);
      const d = confirmPendingBreach({
        sensorId: p.sensorId,
        at: p.openedAt,
        arming: {
          household: this.householdRef(p.householdId),
          quarantines: inputs.quarantines,
          windows: inputs.windows,
          announcements: this.announcements.get(p.householdId) ?? [],
        },
        commissioningUntil: registry.sensor(p.sensorId)?.commissioningUntil ?? null,
        active: this.ref('breach', `sensor:${p.sensorId}`),
        policy: { graceSeconds: 0 },
      });
      if (d) this.apply(batch, d, now);
    }
  }

  private sweepEscalations(batch: Batch, now: number): void {
    for (const a0 of [...this.byId.values()]) {
      if (a0.nextEscalationAt === undefined || a0.nextEscalationAt > now) continue;
      const a = this.current(batch, a0.id) ?? a0;
      const chain = escalationChain(this.org, a.gridId);
      const d = dueEscalation(a, chain, this.o.escalateAfter, now);
      if (!d) {
        // Nobody above any more (the chain changed): stop waiting.
        const { nextEscalationAt: _, ...rest } = a;
        batch.put(rest as StoredAlert, null);
        continue;
      }
      const t = applyEscalation(a, d, now);
      const next: StoredAlert = { ...(t.alert as StoredAlert), detail: a.detail };
      batch.put(next, t.change);
      this.o.logger.info(
        { alertId: a.id, level: d.level, recipients: d.steps.flatMap((s) => s.recipients.map((w) => w.id)) },
        'alert escalated',
      );
      this.notify(
        batch,
        next,
        'escalated',
        d.steps.flatMap((s) => s.recipients),
        now,
      );
    }
  }

  /** A summary for a group robot waits until the robot has room (or its rate-limit block ends). */
  private robotReadyAt(now: number): SummaryReadyAt<OutboxRow> {
    return (_key, items) => {
      const robot = items[0] ? robotOf(items[0]) : null;
      return robot ? this.robots.nextFreeAt(robot, now) : null;
    };
  }

  /** Folded notifications go out as one summary per recipient and channel once the limit allows. */
  private sweepSummaries(batch: Batch, now: number): void {
    for (const s of this.limiter.dueSummaries(now, this.robotReadyAt(now))) {
      const first = s.items[0];
      if (!first) continue;
      const view = summaryMessage(
        this.o.locale,
        s.items.map((row) => ({
          title: row.notification.view.title,
          at: row.createdAt,
          ...(row.notification.view.action ? { url: row.notification.view.action.url } : {}),
        })),
        this.o.tz,
      );
      const id = randomUUID();
      batch.outbox.push({
        id,
        alertId: null,
        kind: 'summary',
        channel: first.channel,
        recipientId: first.recipientId,
        notification: {
          id,
          recipient: first.notification.recipient,
          subject: subjectOf(this.o.locale, view),
          view,
          data: { event: 'summary', alertIds: s.items.map((r) => r.alertId) },
        },
        status: 'pending',
        attempts: 0,
        createdAt: now,
        firstAttemptAt: null,
        nextAttemptAt: now,
        deliveredAt: null,
        lastError: null,
      });
      for (const row of s.items) batch.summarized.push({ rowId: row.id, summaryId: id });
    }
  }

  /** A delivery attempt ended: its row and the alert's history in one transaction. */
  private settle(s: Settled): void {
    const now = this.o.clock.now();
    const change =
      s.row.alertId === null
        ? null
        : notifiedChange(s.row.alertId, now, {
            channel: s.row.channel,
            recipientId: s.row.recipientId,
            status: s.update.status,
            outboxId: s.row.id,
            ...(s.update.lastError ? { error: s.update.lastError } : {}),
          });
    try {
      this.o.store.apply({ outboxUpdates: [s.update], changes: change ? [change] : [] });
    } catch (err) {
      // The database is closing (shutdown during a send): the row stays `sending` and is retried.
      this.o.logger.warn({ err, outboxId: s.row.id }, 'delivery outcome not recorded');
      return;
    }
    if (s.update.status === 'delivered') {
      this.o.logger.info(
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
      const alert = this.byId.get(s.row.alertId) ?? this.o.store.get(s.row.alertId);
      if (alert) this.tell([{ alert, change }]);
    }
  }

  // ---------------------------------------------------------------- people

  getAlert(id: string): StoredAlert {
    const a = this.byId.get(id) ?? this.o.store.get(id);
    if (!a) throw notFound('alert', id);
    return a;
  }

  listAlerts(query: { status?: StoredAlert['status']; type?: AlertType }): StoredAlert[] {
    return this.alertsPage(query, () => true, 0, Number.POSITIVE_INFINITY);
  }

  /**
   * One page of the alerts `accept` lets through (the caller's scope), newest first. Unresolved
   * alerts come from memory; any other query reads the history only as far as the page reaches.
   */
  alertsPage(
    query: { status?: StoredAlert['status']; type?: AlertType },
    accept: (a: StoredAlert) => boolean,
    offset: number,
    limit: number,
  ): StoredAlert[] {
    const source =
      query.status === 'open' || query.status === 'acknowledged'
        ? [...this.byId.values()]
            .filter((a) => a.status === query.status && (!query.type || a.type === query.type))
            .sort((a, b) => b.openedAt - a.openedAt)
        : this.o.store.iterate(query);
    const page: StoredAlert[] = [];
    let skipped = 0;
    for (const a of source) {
      if (page.length >= limit) break;
      if (!accept(a)) continue;
      if (skipped < offset) skipped++;
      else page.push(a);
    }
    return page;
  }

  detail(id: string) {
    const a = this.getAlert(id);
    return {
      ...this.view(a),
      history: this.o.store.changes(id).map(changeView),
      deliveries: this.o.store.deliveries(id).map(deliveryView),
    };
  }

  acknowledge(
    id: string,
    actor: string,
    note?: string,
    extra: { nonce?: { nonce: string; recipientId: string } } = {},
  ): StoredAlert {
    const a = this.getAlert(id);
    const now = this.o.clock.now();
    const t = acknowledge(a, actor, now, note);
    const next: StoredAlert = { ...(t.alert as StoredAlert), detail: a.detail };
    if (!t.change && !extra.nonce) return a;
    this.o.store.apply({
      alerts: t.change ? [next] : [],
      changes: t.change ? [t.change] : [],
      ...(extra.nonce
        ? {
            nonces: [
              { nonce: extra.nonce.nonce, alertId: id, recipientId: extra.nonce.recipientId, usedAt: now },
            ],
          }
        : {}),
    });
    if (t.change) {
      this.remember(next);
      this.o.logger.info({ alertId: id, actor }, 'alert acknowledged');
      this.tell([{ alert: next, change: t.change }]);
    }
    return t.change ? next : a;
  }

  resolve(id: string, input: { outcome: string; note: string }, actor: string): StoredAlert {
    const a = this.getAlert(id);
    const now = this.o.clock.now();
    const t = resolve(a, input, actor, now);
    const next: StoredAlert = { ...(t.alert as StoredAlert), detail: a.detail };
    this.o.store.apply({ alerts: [next], changes: [t.change] });
    this.remember(next);
    this.o.logger.info({ alertId: id, actor, outcome: input.outcome }, 'alert resolved');
    this.tell([{ alert: next, change: t.change }]);
    return next;
  }

  nonceUsed(nonce: string): boolean {
    return this.o.store.nonceUsed(nonce);
  }

  // ---------------------------------------------------------------- announcements

  announce(input: {
    householdId: string;
    start: number;
    end: number;
    reason: string;
    by: string;
  }): StoredAnnouncement {
    if (!(input.end > input.start)) throw conflict('an announcement must end after it starts');
    const a: StoredAnnouncement = { id: randomUUID(), ...input, createdAt: this.o.clock.now() };
    this.o.store.apply({ announcements: [a] });
    this.addAnnouncement(a);
    this.o.logger.info(
      { announcementId: a.id, householdId: a.householdId, start: a.start, end: a.end, by: a.by },
      'opening announced',
    );
    return a;
  }

  private addAnnouncement(a: StoredAnnouncement): void {
    const list = this.announcements.get(a.householdId) ?? [];
    list.push(a);
    this.announcements.set(a.householdId, list);
  }

  private pruneAnnouncements(now: number): void {
    for (const [h, list] of this.announcements) {
      const kept = list.filter((a) => a.end > now);
      if (kept.length === 0) this.announcements.delete(h);
      else if (kept.length !== list.length) this.announcements.set(h, kept);
    }
  }

  // ---------------------------------------------------------------- views and helpers

  view(a: StoredAlert): AlertView {
    return alertView(a, { address: this.addressOf(a), gridPath: this.org.pathNames(a.gridId) });
  }

  title(a: StoredAlert): string {
    return alertTitle(this.o.locale, a.type);
  }

  gridPathNames(gridId: string): string[] {
    return this.org.pathNames(gridId);
  }

  addressOf(a: { householdId?: string | undefined }): string | null {
    return a.householdId ? (this.o.registry.household(a.householdId)?.address ?? null) : null;
  }

  /** Seals silent now and monitored (for the daily report). */
  offlineNow(now: number): Array<{ sensorId: string; gridId: string; since: number }> {
    const out: Array<{ sensorId: string; gridId: string; since: number }> = [];
    for (const s of this.tracker.silent()) {
      const sensor = this.o.registry.sensor(s.sensorId);
      const h = sensor && this.o.registry.household(sensor.householdId);
      if (sensor && h && this.monitored(sensor, now))
        out.push({ sensorId: s.sensorId, gridId: h.gridId, since: s.deadline });
    }
    return out;
  }

  unresolved(): StoredAlert[] {
    return [...this.byId.values()];
  }

  private householdRef(householdId: string): HouseholdRef {
    const h = this.o.registry.household(householdId);
    const gridId = h?.gridId ?? '';
    return { id: householdId, gridId, gridPath: this.o.registry.tree.pathIds(gridId) };
  }

  /**
   * Every sensor bound to a household is tracked for silence; one never heard from counts from its
   * registration (or the start, whichever is later: the start-up grace).
   */
  /** Privacy: once the registry purged a household, its rendered messages in the outbox go too. */
  private purgeIfPurged(householdId: string): void {
    const h = this.o.registry.household(householdId);
    if (!h?.purgedAt) return;
    const n = this.o.store.redactHouseholdMessages(householdId, this.o.clock.now());
    if (n > 0)
      this.o.logger.info({ householdId, messages: n }, 'notifications of a purged household redacted');
  }

  /** A sensor taken off the registry: nothing left to watch, and its open alerts close themselves. */
  private forgetSensor(sensorId: string): void {
    this.tracker.remove(sensorId);
    this.openDoorIds.delete(sensorId);
    const now = this.o.clock.now();
    const batch = new Batch();
    for (const type of SENSOR_ALERT_TYPES) {
      const a = this.ref(type, `sensor:${sensorId}`);
      if (a)
        this.apply(
          batch,
          { kind: 'resolve', alertId: a.id, at: now, reason: 'sensorRemoved', detail: {} },
          now,
        );
    }
    if (this.pending.has(sensorId)) batch.pendingDelete.push(sensorId);
    this.commit(batch);
  }

  private trackAllSensors(): void {
    for (const s of this.o.registry.allSensors()) this.trackSensor(s.id);
  }

  private trackSensor(sensorId: string): void {
    const { registry, seals, policy } = this.o;
    if (this.tracker.lastSeenOf(sensorId) !== undefined) return;
    const s = registry.sensor(sensorId);
    if (!s) return;
    const lastSeen = seals.state(s.id)?.lastSeen ?? s.createdAt;
    this.tracker.touch(s.id, lastSeen, policy.heartbeatIntervalMs, policy.missedBeats);
  }

  /** For tests and the bench. */
  get stats() {
    return {
      unresolved: this.byId.size,
      tracked: this.tracker.size,
      silent: this.tracker.silentCount,
      heap: this.tracker.heapSize,
      pendingFolded: this.limiter.pendingCount(),
    };
  }
}
