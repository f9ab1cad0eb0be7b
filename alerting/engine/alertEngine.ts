import type { SealCommitted } from '../../core/events.ts';
import type { AlertType } from '../alertModel.ts';
import type { AlertQuery, OutboxRow, StoredAlert, StoredAnnouncement, Written } from '../alertStore.ts';
import { RobotRateGate } from '../notifiers/robotRateLimit.ts';
import { OfflineTracker } from '../offlineTracker.ts';
import { RecipientLimiter } from '../recipientLimiter.ts';
import { dutyLookupOf, OrgChart, type Worker } from '../routing.ts';
import { AlertMemory } from './alertMemory.ts';
import type { AlertView } from './alertView.ts';
import { type AnnouncementInput, Announcements } from './announcements.ts';
import { DecisionQueue } from './decisionQueue.ts';
import { Decisions } from './decisions.ts';
import type { EngineContext } from './engineContext.ts';
import type { AlertEngineOptions, FeedMark } from './engineOptions.ts';
import { GatewayWatch } from './gatewayWatch.ts';
import { heartbeatOf } from './heartbeatOf.ts';
import { NodePolicies } from './nodePolicies.ts';
import { OfflineSweep } from './offlineSweep.ts';
import { limiterKey, OutboxDispatcher } from './outboxDispatcher.ts';
import { PersonDecisions } from './personDecisions.ts';
import { PolicyChanges } from './policyChanges.ts';
import { AlertQueries } from './queries.ts';
import { Silences } from './silences.ts';
import { Sweeps } from './sweeps.ts';

export type { AlertEngineOptions, FeedMark } from './engineOptions.ts';

/**
 * The alerting engine: reacts to committed seal messages, sweeps for time-based rules, writes the
 * rules' decisions in one transaction each, queues notifications in the outbox, escalates, and
 * answers the API's alert calls. Every deadline lives in the database; memory holds only indexes
 * rebuilt at start. Its parts, each with one job:
 * - decisions.ts: the rules' decisions into batches, written, then memory and the bus (people's:
 *   personDecisions.ts);
 * - sweeps.ts and offlineSweep.ts: the time-based rules (offline and outage, window ends, graces,
 *   escalations, summaries);
 * - queries.ts: what the API reads;
 * - announcements.ts: announced openings;
 * - decisionQueue.ts: the one serial queue every decision runs in.
 */
export class AlertEngine {
  private readonly c: EngineContext;
  private readonly queries: AlertQueries;
  private readonly decisions: Decisions;
  private readonly people: PersonDecisions;
  private readonly offline: OfflineSweep;
  private readonly sweeps: Sweeps;
  private readonly policyChanges: PolicyChanges;
  private readonly dispatcher: OutboxDispatcher;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly o: AlertEngineOptions) {
    const startedAt = o.clock.now();
    const memory = new AlertMemory();
    // After a write that may have half-happened, memory is read again from the store.
    const queue = new DecisionQueue(async () => {
      await Promise.all([
        memory.load(o.store),
        this.c.announcements.load(o.clock.now()),
        this.c.silences.load(o.clock.now()),
      ]);
      o.logger.warn({ unresolved: memory.byId.size }, 'alerting memory read again after a failed write');
    });
    this.c = {
      o,
      org: new OrgChart(o.registry.tree, (id) => o.registry.workersAt(id), dutyLookupOf(o.registry)),
      queue,
      memory,
      announcements: new Announcements(o, queue),
      silences: new Silences(o, queue),
      policies: new NodePolicies(o),
      tracker: new OfflineTracker({ startedAt }),
      gateways: new GatewayWatch(() => this.c),
      openDoorIds: new Set(),
      limiter: new RecipientLimiter<OutboxRow>(o.limiter),
      robots: new RobotRateGate(),
      startedAt,
    };
    this.queries = new AlertQueries(this.c);
    this.decisions = new Decisions(this.c, {
      view: (a) => this.queries.view(a),
      address: (a) => this.queries.addressOf(a),
      deliver: () => this.dispatcher.kick(),
      deadline: (at) => this.sweeps.wakeBy(at),
    });
    this.people = new PersonDecisions(this.c, this.decisions);
    this.dispatcher = new OutboxDispatcher({
      store: o.store,
      notifiers: new Map(o.notifiers.map((n) => [n.channel, n])),
      limiter: this.c.limiter,
      robots: this.c.robots,
      clock: o.clock,
      logger: o.logger,
      ...(o.backoff ? { backoff: o.backoff } : {}),
      settle: (s) => this.decisions.settle(s),
      unacknowledged: (alertId) => memory.byId.get(alertId)?.status === 'open',
    });
    this.offline = new OfflineSweep(this.c, this.decisions);
    this.sweeps = new Sweeps(this.c, this.decisions, this.offline, this.dispatcher);
    this.policyChanges = new PolicyChanges(this.c, this.decisions);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Rebuilds memory from the store, then listens; messages committed before are not this run's. */
  async start(): Promise<void> {
    const { store, clock, logger, seals } = this.o;
    const now = clock.now();
    const requeued = await store.requeueSending(now);
    if (requeued > 0) logger.warn({ requeued }, 'outbox rows claimed before a crash will be sent again');
    const [folded] = await Promise.all([
      store.loadFoldedUnsummarized(),
      this.c.memory.load(store),
      this.c.announcements.load(now),
      this.c.silences.load(now),
      this.sweeps.load(),
      this.c.gateways.load(),
    ]);
    for (const row of folded) this.c.limiter.restore(limiterKey(row), row);
    if (folded.length > 0)
      logger.info({ folded: folded.length }, 'folded notifications wait for their summary again');
    this.trackAllSensors();
    for (const st of seals.allStates()) if (st.door === 'open') this.c.openDoorIds.add(st.sensorId);
    const decide = (e: SealCommitted, mark?: FeedMark): Written => {
      const written = this.c.queue.run(() => this.decisions.message(e, mark));
      if (e.after.door === 'open') this.sweeps.doorOpen(e.message.sensorId, e.after);
      return written;
    };
    this.unsubscribe.push(
      this.o.committedFeed
        ? this.o.committedFeed(decide)
        : // On SQLite this runs inside ingest's transaction, and so do the decisions' writes.
          this.o.bus.on('seal.decide', (e) => this.settled(decide(e), 'message not decided')),
      this.o.bus.on('registry.changed', ({ entity, id, removed, replacedBy }) => {
        if (entity === 'household' && !removed) this.purgeIfPurged(id);
        if (entity === 'sensor' && removed) this.forgetSensor(id, replacedBy);
        else if (entity === 'sensor') this.trackSensor(id);
        else if (entity === 'model') this.rescheduleModel(id);
        else if (entity === 'import') this.trackAllSensors();
        // A node's policy changed, or a node moved (its subtree inherits from elsewhere now).
        if (entity === 'policy' || (entity === 'grid' && !removed)) this.policyChanged(id);
        if (entity !== 'token') {
          this.offline.forgetCounts();
          this.c.gateways.forget();
        }
      }),
    );
    logger.info(
      {
        unresolved: this.c.memory.byId.size,
        pendingBreaches: this.c.memory.pending.size,
        tracked: this.c.tracker.size,
        channels: [...new Set(this.o.notifiers.map((n) => n.channel))],
        escalateAfterMs: this.o.escalateAfter,
      },
      'alerting started',
    );
    this.sweeps.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe) off();
    await this.sweeps.stop();
    await this.dispatcher.stop();
    await this.c.queue.drain();
    for (const n of this.o.notifiers) await n.close();
  }

  /** Deliver what the outbox has due now (after queueing rows from outside a decision). */
  deliverNow(): void {
    this.dispatcher.kick();
  }

  /** Runs every time-based rule once. For tests and the bench. */
  sweep(): Promise<void> {
    return this.sweeps.sweep();
  }

  // ---------------------------------------------------------------- people

  acknowledge(
    id: string,
    actor: string,
    note?: string,
    extra: { nonce?: { nonce: string; recipientId: string } } = {},
  ): Promise<StoredAlert> {
    return this.people.acknowledge(id, actor, note, extra);
  }

  resolve(id: string, input: { outcome: string; note: string }, actor: string): Promise<StoredAlert> {
    return this.people.resolve(id, input, actor);
  }

  /** Gives the alert to `worker` (checked by the caller), who is notified (personDecisions.ts). */
  assign(id: string, worker: Worker, actor: string): Promise<StoredAlert> {
    return this.people.assign(id, worker, actor);
  }

  /** A person's note, kept in the alert's history. */
  comment(id: string, note: string, actor: string): Promise<StoredAlert> {
    return this.people.comment(id, note, actor);
  }

  /** Sensors silenced by people: set, lift, look up, count (engine/silences.ts). */
  get silences(): Silences {
    return this.c.silences;
  }

  announce(input: AnnouncementInput): Promise<StoredAnnouncement> {
    return this.c.announcements.announce(input);
  }

  /** How long an announced opening of this household lasts: the announce span in force at its node. */
  announceMinutesOf(householdId: string): number {
    return this.policyOfHousehold(householdId).announceMinutes;
  }

  /** How many openings a day this household may have before they are an alert: its node's policy. */
  opensPerDayOf(householdId: string): number {
    return this.policyOfHousehold(householdId).maxOpensPerDay;
  }

  private policyOfHousehold(householdId: string) {
    return this.c.policies.at(this.o.registry.household(householdId)?.gridId ?? '');
  }

  // ---------------------------------------------------------------- queries

  getAlert(id: string): Promise<StoredAlert> {
    return this.queries.getAlert(id);
  }

  listAlerts(query: { status?: StoredAlert['status']; type?: AlertType }): Promise<StoredAlert[]> {
    return this.queries.listAlerts(query);
  }

  /** One page of the alerts `accept` lets through (the caller's scope), newest first. */
  alertsPage(
    query: { status?: StoredAlert['status']; type?: AlertType },
    accept: (a: StoredAlert) => boolean,
    offset: number,
    limit: number,
  ): Promise<StoredAlert[]> {
    return this.queries.alertsPage(query, accept, offset, limit);
  }

  /** Alerts opened in [from, to), the resolved ones too, newest first. */
  openedBetween(from: number, to: number): Promise<StoredAlert[]> {
    return this.queries.openedBetween(from, to);
  }

  /** The history search: one page, and how many match in all (the scope is `query.gridIds`). */
  searchAlerts(
    query: AlertQuery,
    page: { offset: number; limit: number },
  ): Promise<{ items: StoredAlert[]; total: number }> {
    return this.queries.search(query, page);
  }

  detail(id: string): ReturnType<AlertQueries['detail']> {
    return this.queries.detail(id);
  }

  nonceUsed(nonce: string): Promise<boolean> {
    return this.queries.nonceUsed(nonce);
  }

  householdAlerts(householdId: string, limit: number): Promise<StoredAlert[]> {
    return this.queries.householdAlerts(householdId, limit);
  }

  householdAnnouncements(householdId: string, limit: number): Promise<StoredAnnouncement[]> {
    return this.queries.householdAnnouncements(householdId, limit);
  }

  /** The household's announced opening in force at `now`, if any (the latest to end). */
  announcementAt(householdId: string, now: number): StoredAnnouncement | undefined {
    return this.c.announcements
      .of(householdId)
      .filter((a) => a.start <= now && now < a.end)
      .sort((a, b) => b.end - a.end)[0];
  }

  view(a: StoredAlert): AlertView {
    return this.queries.view(a);
  }

  title(a: StoredAlert): string {
    return this.queries.title(a);
  }

  gridPathNames(gridId: string): string[] {
    return this.queries.gridPathNames(gridId);
  }

  addressOf(a: { householdId?: string | undefined }): string | null {
    return this.queries.addressOf(a);
  }

  /** Unresolved alerts, for /metrics and the daily report. */
  unresolved(): StoredAlert[] {
    return this.queries.unresolved();
  }

  /** Unresolved alerts, for the live page's per-node counts. */
  openAlerts(): Iterable<{ gridId: string; type: string }> {
    return this.c.memory.byId.values();
  }

  /** Seals silent now and monitored (for the daily report). */
  offlineNow(now: number): Array<{ sensorId: string; gridId: string; since: number }> {
    return this.offline.offlineNow(now);
  }

  /** For tests and the bench. */
  get stats() {
    return {
      unresolved: this.c.memory.byId.size,
      tracked: this.c.tracker.size,
      silent: this.c.tracker.silentCount,
      heap: this.c.tracker.heapSize,
      pendingFolded: this.c.limiter.pendingCount(),
    };
  }

  // ---------------------------------------------------------------- registry changes

  /** Privacy: once the registry purged a household, its rendered messages in the outbox go too. */
  private purgeIfPurged(householdId: string): void {
    const h = this.o.registry.household(householdId);
    if (!h?.purgedAt) return;
    this.o.store.redactHouseholdMessages(householdId, this.o.clock.now()).then(
      (n) => {
        if (n > 0)
          this.o.logger.info({ householdId, messages: n }, 'notifications of a purged household redacted');
      },
      (err: unknown) =>
        this.o.logger.error({ err, householdId }, 'notifications of a purged household not redacted'),
    );
  }

  /**
   * A sensor taken off the registry (or replaced by `replacedBy`): nothing left to watch, and its
   * open alerts close themselves.
   */
  private forgetSensor(sensorId: string, replacedBy?: string): void {
    this.c.tracker.remove(sensorId);
    this.c.openDoorIds.delete(sensorId);
    this.c.silences.forget(sensorId);
    this.settled(
      this.c.queue.run(() => {
        const written = this.decisions.sensorRemoved(sensorId, replacedBy);
        this.c.memory.forgetSensor(sensorId);
        return written;
      }),
      'alerts of a removed sensor not resolved',
    );
  }

  /**
   * A technician put a new battery in (POST /api/sensors/:id/battery): the low-battery alert is
   * resolved (`batteryReplaced`) and re-armed for the new battery.
   */
  batteryReplaced(sensorId: string, actor: string): Promise<{ resolved: string | null }> {
    return Promise.resolve(this.c.queue.run(() => this.decisions.batteryReplaced(sensorId, actor)));
  }

  /**
   * Every sensor bound to a household is tracked for silence; one never heard from counts from its
   * registration (or the start, whichever is later: the start-up grace).
   */
  private trackAllSensors(): void {
    for (const s of this.o.registry.allSensors()) this.trackSensor(s.id);
  }

  private trackSensor(sensorId: string): void {
    const { registry, seals, policy } = this.o;
    const s = registry.sensor(sensorId);
    if (!s) return;
    // A sensor already tracked keeps its last-seen time; its window follows its (maybe new) model.
    const lastSeen = this.c.tracker.lastSeenOf(sensorId) ?? seals.state(s.id)?.lastSeen ?? s.createdAt;
    const beat = heartbeatOf(registry, policy, s.id);
    this.c.tracker.touch(s.id, lastSeen, beat.intervalMs, beat.missedBeats);
  }

  /**
   * A model's interval or missed beats changed: its sensors' deadlines move at once (an earlier one
   * is queued now; a later one is found when the old deadline surfaces). One pass over the registry,
   * on an admin's edit only.
   */
  private rescheduleModel(modelId: string): void {
    let n = 0;
    for (const s of this.o.registry.allSensors()) {
      if (s.model !== modelId) continue;
      this.trackSensor(s.id);
      n++;
    }
    this.o.logger.info({ model: modelId, sensors: n }, 'sensor model changed: offline deadlines rescheduled');
  }

  /** Open alerts below the node (`*`: everywhere) take the escalation steps in force now. */
  private policyChanged(nodeId: string): void {
    const root = nodeId === '*' ? null : nodeId;
    this.settled(
      this.c.queue.run(() => this.policyChanges.rescheduleEscalations(root)),
      'escalation deadlines not rescheduled after a policy change',
    );
  }

  /** A decision nobody waits for: a failure is logged (a synchronous one throws to the bus, which logs it). */
  private settled(written: Written, what: string): void {
    written?.catch((err: unknown) => this.o.logger.error({ err }, what));
  }
}
