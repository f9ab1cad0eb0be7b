import { randomUUID } from 'node:crypto';
import type { SealState } from '../alertModel.ts';
import type { OutboxRow, StoredAlert, Written } from '../alertStore.ts';
import { dueEscalation } from '../escalation.ts';
import { applyEscalation } from '../lifecycle.ts';
import { subjectOf, summaryMessage } from '../notificationTexts.ts';
import type { FoldedSummary, SummaryReadyAt } from '../recipientLimiter.ts';
import { escalationChain } from '../routing.ts';
import { breachesAtWindowEnds, confirmPendingBreach } from '../rules/breach.ts';
import { detectClockJump } from '../rules/offline.ts';
import { DecisionBatch, pendingOutboxRow } from './decisionBatch.ts';
import type { Decisions } from './decisions.ts';
import { DoorLeftOpenSweep } from './doorLeftOpenSweep.ts';
import { type EngineContext, householdRef } from './engineContext.ts';
import type { OfflineSweep } from './offlineSweep.ts';
import { robotOf } from './outboxDispatcher.ts';
import type { AlertingRegistry } from './ports.ts';

/** Sweeps never follow each other closer than this, whatever deadline is due. */
const MIN_SWEEP_GAP_MS = 50;
const LAST_SWEEP_KEY = 'sweep.lastAt';
/** The sensors silent at the last sweep (JSON array of ids), so a restart knows which silences it saw. */
const SILENT_KEY = 'offline.silent';
/** After a long stop, windows that ended more than this long ago are not judged any more. */
const WINDOW_LOOKBACK_MS = 24 * 60 * 60_000;

type EndedWindow = ReturnType<AlertingRegistry['armingInputs']>['windows'][number];

/**
 * The time-based rules, run together as one decision: offline and outage (OfflineSweep), doors
 * still open when a window ends, graces that ran out, escalations and folded-notification
 * summaries. Runs every `sweepMs`, or sooner when a deadline falls earlier.
 */
export class Sweeps {
  private timer: NodeJS.Timeout | null = null;
  /** When the scheduled sweep runs (clock time); null while none is scheduled or one runs. */
  private scheduledAt: number | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private lastSweepAt: number | null = null;
  /** The tracker's silentVersion last written to the store. */
  private silentPersisted = -1;
  private readonly doorLeftOpen: DoorLeftOpenSweep;

  constructor(
    private readonly c: EngineContext,
    private readonly decisions: Decisions,
    private readonly offline: OfflineSweep,
    private readonly outbox: { kick(): void; readonly busy: boolean },
  ) {
    this.doorLeftOpen = new DoorLeftOpenSweep(c, decisions);
  }

  async load(): Promise<void> {
    const { store } = this.c.o;
    const [last, silent] = await Promise.all([
      store.getState(LAST_SWEEP_KEY),
      store.getState(SILENT_KEY),
      this.doorLeftOpen.load(),
    ]);
    this.lastSweepAt = last === undefined ? null : Number(last);
    if (silent !== undefined) this.c.tracker.resumeFrom(JSON.parse(silent) as string[]);
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Runs every time-based rule once, as one task of the decision queue. Public for tests and the bench. */
  async sweep(): Promise<void> {
    await this.c.queue.run(() => this.sweepOnce());
  }

  /**
   * A deadline was written (an escalation, a grace) that falls before the scheduled sweep: sweep
   * then instead. A node's policy may set steps of seconds, shorter than the regular period.
   */
  wakeBy(at: number): void {
    if (this.scheduledAt === null || at >= this.scheduledAt) return;
    this.schedule(Math.max(MIN_SWEEP_GAP_MS, at - this.c.o.clock.now()));
  }

  /** A door reported open: the sweep wakes when it would be left open too long. */
  doorOpen(
    sensorId: string,
    after: { door: 'open' | 'closed' | 'unknown'; lastDoorChange: number | null },
  ): void {
    const due = this.doorLeftOpen.dueFor(sensorId, after, this.c.o.clock.now());
    if (due !== null) this.wakeBy(due);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.scheduledAt = this.c.o.clock.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.scheduledAt = null;
      this.running = this.runScheduled().finally(() => {
        this.running = null;
      });
    }, delayMs);
  }

  private async runScheduled(): Promise<void> {
    try {
      await this.sweep();
    } catch (err) {
      this.c.o.logger.error({ err }, 'alerting sweep failed');
    }
    let delay = this.c.o.sweepMs;
    try {
      delay = await this.nextDelay();
    } catch (err) {
      this.c.o.logger.warn({ err }, 'next outbox deadline unknown; sweeping after the regular period');
    }
    this.schedule(delay);
  }

  /** The regular period, or sooner when a deadline (escalation, grace, retry, window end) falls earlier. */
  private async nextDelay(): Promise<number> {
    const { memory, limiter } = this.c;
    // A running delivery pass polls the outbox itself; counting its due rows here would spin the sweep.
    const outbox = this.outbox.busy ? null : await this.c.o.store.nextOutboxAt();
    const now = this.c.o.clock.now();
    let next = now + this.c.o.sweepMs;
    for (const a of memory.byId.values())
      if (a.nextEscalationAt !== undefined) next = Math.min(next, a.nextEscalationAt);
    for (const p of memory.pending.values()) next = Math.min(next, p.dueAt);
    if (outbox !== null) next = Math.min(next, outbox);
    const summary = limiter.nextDueAt(this.robotReadyAt(now));
    if (summary !== null) next = Math.min(next, summary);
    for (const end of this.openDoorWindowEnds()) if (end > now) next = Math.min(next, end);
    next = Math.min(next, this.doorLeftOpen.nextDueAt(now) ?? next);
    return Math.max(MIN_SWEEP_GAP_MS, next - now);
  }

  private sweepOnce(): Written {
    const { clock, logger } = this.c.o;
    const { tracker } = this.c;
    const now = clock.now();
    const jump = detectClockJump(this.lastSweepAt, now, this.c.o.sweepMs);
    if (jump === 'forward') {
      tracker.regrace(now);
      logger.warn(
        { lastSweepAt: this.lastSweepAt, now },
        'alerting sweep resumed after a gap: offline grace again',
      );
    } else if (jump === 'backward') {
      logger.warn({ lastSweepAt: this.lastSweepAt, now }, 'clock went backwards');
    }
    this.offline.waitForLogins(now);
    const batch = new DecisionBatch();
    tracker.expired(now);
    this.offline.sweep(batch, now);
    this.windowEnds(batch, now);
    this.doorLeftOpen.sweep(batch, now);
    this.pendingBreaches(batch, now);
    this.escalations(batch, now);
    const summaries = this.summaries(batch, now);
    this.c.announcements.prune(now);
    batch.state[LAST_SWEEP_KEY] = String(now);
    const silentVersion = tracker.silentVersion;
    if (silentVersion !== this.silentPersisted)
      batch.state[SILENT_KEY] = JSON.stringify([...tracker.silentIds()]);
    const written = () => {
      this.lastSweepAt = now;
      this.silentPersisted = silentVersion;
      this.doorLeftOpen.written();
      this.outbox.kick();
    };
    // Folded notifications taken for a summary that was not written wait for the next one.
    const unfold = (err: unknown) => {
      for (const s of summaries) for (const row of s.items) this.c.limiter.restore(s.recipientId, row);
      throw err;
    };
    let commit: Written;
    try {
      commit = this.decisions.commit(batch);
    } catch (err) {
      return unfold(err);
    }
    if (commit === undefined) {
      written();
      return undefined;
    }
    return commit.then(written, unfold);
  }

  private *openDoors(): Generator<{ sensorId: string; householdId: string; state: SealState }> {
    const { seals, registry } = this.c.o;
    for (const id of this.c.openDoorIds) {
      const st = seals.state(id);
      if (st?.door !== 'open') continue;
      const sensor = registry.sensor(st.sensorId);
      if (!sensor) continue;
      yield {
        sensorId: st.sensorId,
        householdId: sensor.householdId,
        state: { ...st, lowBatteryNotified: false, commissioningUntil: sensor.commissioningUntil },
      };
    }
  }

  private *openDoorWindowEnds(): Generator<number> {
    for (const d of this.openDoors()) {
      for (const w of this.c.o.registry.armingInputs(d.householdId).windows) yield w.end;
    }
  }

  private windowEnds(batch: DecisionBatch, now: number): void {
    const { registry } = this.c.o;
    const since = Math.max(this.lastSweepAt ?? this.c.startedAt, now - WINDOW_LOOKBACK_MS);
    const ended = new Map<string, EndedWindow>();
    const seals: Parameters<typeof breachesAtWindowEnds>[0]['seals'][number][] = [];
    for (const d of this.openDoors()) {
      const windows = registry.armingInputs(d.householdId).windows;
      const due = windows.filter((w) => w.end > since && w.end <= now);
      if (due.length === 0) continue;
      for (const w of due) ended.set(w.id, w);
      seals.push({
        state: d.state,
        household: householdRef(registry, d.householdId),
        active: this.c.memory.ref('breach', `sensor:${d.sensorId}`),
      });
    }
    if (seals.length === 0) return;
    const decisions = breachesAtWindowEnds({
      endedWindows: [...ended.values()],
      seals,
      quarantinesOf: (h) => registry.armingInputs(h).quarantines,
      windowsOf: (h) => registry.armingInputs(h).windows,
      announcementsOf: (h) => this.c.announcements.of(h),
      lastSweepAt: since,
      now,
    });
    for (const d of decisions) this.decisions.apply(batch, d, now);
  }

  private pendingBreaches(batch: DecisionBatch, now: number): void {
    const { registry } = this.c.o;
    for (const p of this.c.memory.pending.values()) {
      if (p.dueAt > now) continue;
      batch.pendingDelete.push(p.sensorId);
      const inputs = registry.armingInputs(p.householdId);
      const d = confirmPendingBreach({
        sensorId: p.sensorId,
        at: p.openedAt,
        arming: {
          household: householdRef(registry, p.householdId),
          quarantines: inputs.quarantines,
          windows: inputs.windows,
          announcements: this.c.announcements.of(p.householdId),
        },
        commissioningUntil: registry.sensor(p.sensorId)?.commissioningUntil ?? null,
        active: this.c.memory.ref('breach', `sensor:${p.sensorId}`),
        policy: { graceSeconds: 0 },
      });
      if (d) this.decisions.apply(batch, d, now);
    }
  }

  private escalations(batch: DecisionBatch, now: number): void {
    const { memory, org } = this.c;
    for (const a0 of [...memory.byId.values()]) {
      if (a0.nextEscalationAt === undefined || a0.nextEscalationAt > now) continue;
      const a = memory.current(batch, a0.id) ?? a0;
      const steps = this.c.policies.escalationStepsAt(a.gridId);
      const d = dueEscalation(a, escalationChain(org, a.gridId, now), steps, now);
      if (!d) {
        // Nobody above any more (the chain changed): stop waiting.
        const { nextEscalationAt: _, ...rest } = a;
        batch.put(rest as StoredAlert, null);
        continue;
      }
      const t = applyEscalation(a, d, now);
      const next: StoredAlert = { ...(t.alert as StoredAlert), detail: a.detail };
      batch.put(next, t.change);
      const recipients = d.steps.flatMap((s) => s.recipients);
      this.c.o.logger.info(
        { alertId: a.id, level: d.level, recipients: recipients.map((w) => w.id) },
        'alert escalated',
      );
      this.decisions.notify(batch, next, 'escalated', recipients, now);
    }
  }

  /** A summary for a group robot waits until the robot has room (or its rate-limit block ends). */
  private robotReadyAt(now: number): SummaryReadyAt<OutboxRow> {
    return (_key, items) => {
      const robot = items[0] ? robotOf(items[0]) : null;
      return robot ? this.c.robots.nextFreeAt(robot, now) : null;
    };
  }

  /** Folded notifications go out as one summary per recipient and channel once the limit allows. */
  private summaries(batch: DecisionBatch, now: number): FoldedSummary<OutboxRow>[] {
    const { locale, tz } = this.c.o;
    const due = this.c.limiter.dueSummaries(now, this.robotReadyAt(now));
    for (const s of due) {
      const first = s.items[0];
      if (!first) continue;
      const view = summaryMessage(
        locale,
        s.items.map((row) => ({
          title: row.notification.view.title,
          at: row.createdAt,
          ...(row.notification.view.action ? { url: row.notification.view.action.url } : {}),
        })),
        tz,
      );
      const id = randomUUID();
      batch.outbox.push(
        pendingOutboxRow(
          {
            id,
            alertId: null,
            kind: 'summary',
            channel: first.channel,
            recipientId: first.recipientId,
            notification: {
              id,
              recipient: first.notification.recipient,
              subject: subjectOf(locale, view),
              view,
              data: { event: 'summary', alertIds: s.items.map((r) => r.alertId) },
            },
          },
          now,
        ),
      );
      for (const row of s.items) batch.summarized.push({ rowId: row.id, summaryId: id });
    }
    return due;
  }
}
