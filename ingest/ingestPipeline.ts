import type { EventBus } from '../core/eventBus.ts';
import type { SealCommitted, ServiceEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { SealMessage } from '../core/sealMessage.ts';
import { type DoorEventRecord, initialSealState, type SealState } from '../core/sealState.ts';
import { applyMessage } from './applyMessage.ts';
import { dedupTs, isDuplicate, trimWindow } from './dedup.ts';
import { IngestLoad, type LoadGauge } from './ingestLoad.ts';
import type { IngestStore } from './ingestStore.ts';
import { SeriesTags } from './seriesTags.ts';
import type { TelemetryPoint, TelemetrySink } from './telemetry/telemetrySink.ts';
import { pointFor } from './telemetryPoints.ts';

export interface Placement {
  householdId: string;
  gridId: string;
  model: string;
  /**
   * False when the sensor's model says its heartbeat does not report the door position (issue
   * 16.1): a door field in its heartbeat is then not an observation and changes nothing.
   */
  heartbeatCarriesDoor?: boolean;
  /**
   * The node's roll-up tags: level name → the ancestor's id at that level (registry/gridLevelTags.ts),
   * written on every point so Grafana can group by township or village (issue 17.8).
   */
  levels?: Readonly<Record<string, string>>;
}

interface Pending {
  message: SealMessage;
  placement: Placement;
  batch: Batch;
  /** Its sensor was taken off the registry while it was in flight: its group leaves no live state. */
  forgotten?: true;
}

/** A group whose transaction is written, on its way to durable. */
interface WrittenGroup {
  items: Pending[];
  next: Map<string, SealState>;
  batch: Batch;
  committed: SealCommitted[];
  started: number;
  loopMs: number;
  decide: () => void;
  /**
   * Pipelined (`written`): the sync failures counted when it was written; one since then was of a
   * group it was computed on. Null for a store whose groups go one after another.
   */
  failuresAtWrite: number | null;
}

interface Batch {
  items: Pending[];
  /** performance.now() when its first message came. */
  openedAt: number;
  /** Ingest was under load when it opened (ingestLoad.ts): it gathers, and the store syncs off the loop. */
  underLoad: boolean;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Large enough to amortise one fsync, small enough to keep a commit to a few ms. */
const MAX_BATCH = 2000;
/**
 * How long a group gathers before it commits. Each commit costs the event loop a fixed amount (the
 * transaction, one row per sensor in the group) and, on SQLite, one fsync on the thread pool
 * (storage/sqlite/walFlush.ts). Under load a group gathers GATHER_MS, or three times the event loop's
 * share of the last commit when that is longer (capped), so commits hold the loop at most a quarter
 * of the time: committing at every loop turn made groups of about two messages in a reconnect storm.
 * Under a light load a group commits at the next loop turn: there the gap is all a PUBACK waits for
 * (issue 20.1: PUBACK p99 at 5,000 msg/s), and the commits it adds are cheap.
 *
 * What counts as load is ingestLoad.ts's: many messages a ms over the last 100 ms, or an event loop
 * busy with something else (a reconnect storm's logins: 1,044–1,213 connects/s with the short gap
 * against 1,324–1,694 without, groups of 9 messages instead of 26–35). When load was judged by the
 * last group, a steady 5,000 msg/s spent 7 % of its groups under the 4 ms gap: most of the groups
 * that waited over 4 ms in the service (145 of 218 in 6,000, with 8 % of the messages). Judged over
 * the window, with no gap at a light load (measured the same way, per group in the service, 6,000
 * groups at 5,000 msg/s): none under the gap, 26 groups over 4 ms with 0.45 % of the messages (each
 * waiting for its fsync), gathering p99 3.5 → 0.35 ms, group wait p99 4.9 → 3.3 ms, PUBACK p50 about
 * 2.2 → 1.2 ms. In a closed loop at 62,000 msg/s groups still came every 5 ms or so, about 300
 * messages each (ad hoc): there the gap stays.
 */
const GATHER_MS = 4;
const MAX_GATHER_MS = 20;
/**
 * A door or tamper event (what a breach alert comes from) does not wait out the gathering gap: its
 * group commits at the next loop turn, so the webhook leaves within a few ms even under load
 * (issue 20.5). At most one such early commit per this many ms, so a storm of door events still
 * commits in groups (the reconnect-storm lesson above).
 */
const URGENT_EVERY_MS = GATHER_MS;

export interface IngestStats {
  accepted: number;
  duplicates: number;
  commits: number;
  commitFailures: number;
  lastBatchSize: number;
}

/**
 * Durable acceptance of decoded messages with group commit. `accept` resolves
 * once the message's state change is committed to SQLite and its telemetry
 * point is appended to the telemetry spool; the broker sends the QoS 1 PUBACK
 * only then. Everything that arrives while a commit is pending joins the next
 * group, so one fsync serves many messages. On SQLite the next group's
 * transaction does not wait for the previous group's fsync (`written`): a
 * closed loop of 50 connections with 16 messages in flight each went from
 * 43,000–58,000 to 59,000–66,000 messages a second with it, in alternating
 * runs (issue 20.1), since the fsync (about 2 ms under that load, beside the
 * telemetry writes) was most of each group's turn. Under a light load a group
 * asks the store to sync on the event loop (`light`): it is durable when
 * written, and the next group has nothing to overlap with.
 */
export class IngestPipeline {
  private readonly states = new Map<string, SealState>();
  private readonly seriesTags = new SeriesTags();
  /**
   * Messages accepted but not yet committed, by sensor, for duplicate detection across a group.
   *
   * A sensor's list stays when it empties, and `written` below keeps a sensor's key without a state,
   * until the sensor is forgotten: no key is deleted and added again per message (issue 20.1). With
   * that churn, V8 kept the pipeline's per-message objects (messages, pending items, states) alive
   * through young-generation collections and moved them to the old generation, about 1 MB per
   * scavenge at 5,000 msg/s (most likely because V8 replaces a hash table's storage as deleted
   * entries pile up, and a replaced table in the old generation still points at what it held).
   * Without it (measured with --trace-gc-nvp and V8's sampling heap profiler): 0.36 MB per scavenge
   * and none of those objects among what survives, scavenge pauses 2.4 → 1.0 ms (median), no
   * mark-compact in 20 s instead of one or two every 5 s, and PUBACK p999 at 5,000 msg/s 16–26 →
   * 8–12 ms.
   */
  private readonly inflight = new Map<string, Pending[]>();
  private current: Batch | null = null;
  /** Groups commit one after another, each computed from the state the previous one left. */
  private tail: Promise<void> = Promise.resolve();
  /**
   * With a store that applies a group before returning (SQLite), the next group is computed and written
   * while this one syncs: these are the states of groups written but not yet durable, newest per
   * sensor. The next group starts from them; `states` (what de-dup, the API and the page read) takes
   * a state only once its group is durable.
   */
  private readonly written = new Map<string, SealState | undefined>();
  /** The last written group's ending: groups end (PUBACK, events) in the order they were written. */
  private ended: Promise<void> = Promise.resolve();
  /** Groups whose sync failed: a group written after one of them was computed on top of it. */
  private syncFailures = 0;
  private readonly pipelined: boolean;
  /** Groups handed to the store whose commit is not over yet. */
  private committing = 0;
  /** The group that gathers while another commits (a store that commits one group at a time). */
  private gathering: Batch | null = null;
  /** performance.now() when the last group was handed to the store: paces commits under load. */
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  /** The event loop's share of the last commit (without the fsync on the thread pool). */
  private lastLoopMs = 0;
  private lastUrgentAt = Number.NEGATIVE_INFINITY;
  private readonly stats: IngestStats = {
    accepted: 0,
    duplicates: 0,
    commits: 0,
    commitFailures: 0,
    lastBatchSize: 0,
  };

  constructor(
    private readonly store: IngestStore,
    private readonly telemetry: TelemetrySink,
    private readonly bus: EventBus<ServiceEvents>,
    private readonly logger: Logger,
    private readonly loadGauge: LoadGauge = new IngestLoad(),
  ) {
    this.pipelined = store.appliesIngestBeforeReturning === true;
  }

  async load(): Promise<void> {
    for (const s of await this.store.loadSealStates()) this.states.set(s.sensorId, s);
    this.logger.info({ seals: this.states.size }, 'seal states loaded');
  }

  state(sensorId: string): SealState | undefined {
    return this.states.get(sensorId);
  }

  /** A sensor taken off the registry: its live state goes (the store deleted the row). */
  forgetSensor(sensorId: string): void {
    // Its messages still in flight end as usual (their senders get their PUBACKs; the store's
    // transaction writes no row for a sensor that is gone), but their state does not come back to life.
    for (const item of this.inflight.get(sensorId) ?? []) item.forgotten = true;
    this.inflight.delete(sensorId);
    this.states.delete(sensorId);
    this.written.delete(sensorId);
    this.seriesTags.forget(sensorId);
  }

  /**
   * Another instance committed this state (shared store): it becomes the live state here too, so
   * this instance's page and its next message for the sensor start from it. A state older than
   * the one held is ignored (feeds from two instances may interleave).
   */
  mirror(state: SealState): void {
    const held = this.states.get(state.sensorId);
    if (held && held.updatedAt > state.updatedAt) return;
    this.states.set(state.sensorId, state);
  }

  allStates(): IterableIterator<SealState> {
    return this.states.values();
  }

  getStats(): Readonly<IngestStats> {
    return this.stats;
  }

  /**
   * Resolves when the message is durably accepted. A duplicate of a committed
   * message resolves at once; a duplicate of one still in flight resolves
   * with that message's group, so its PUBACK never precedes the commit.
   */
  accept(received: SealMessage, placement: Placement): Promise<void> {
    const message =
      received.kind === 'heartbeat' && received.door !== null && placement.heartbeatCarriesDoor === false
        ? { ...received, door: null }
        : received;
    const committed = this.states.get(message.sensorId);
    const ts = dedupTs(message);
    if (committed && isDuplicate(committed.recentSeqs, message.seq, ts)) {
      return this.duplicate(message, Promise.resolve());
    }
    const pending = this.inflight.get(message.sensorId);
    const twin = pending?.find(
      (p) => p.message.seq !== null && p.message.seq === message.seq && dedupTs(p.message) === ts,
    );
    if (twin) return this.duplicate(message, twin.batch.done);

    const batch = this.current ?? this.openBatch();
    const item: Pending = { message, placement, batch };
    batch.items.push(item);
    if (pending) pending.push(item);
    else this.inflight.set(message.sensorId, [item]);
    this.stats.accepted++;
    // The message itself carries the event's fields: no object per message for it (issue 20.1).
    this.bus.emit('message.accepted', message);
    if (batch.items.length >= MAX_BATCH) this.flush(batch);
    else if (isUrgent(message, committed)) this.hurry(batch);
    return batch.done;
  }

  /** Commits whatever is pending now, and waits for groups already committing; used at shutdown. */
  async drain(): Promise<void> {
    if (this.current) this.flush(this.current, true);
    await this.tail;
    await this.ended;
  }

  private duplicate(message: SealMessage, settled: Promise<void>): Promise<void> {
    this.stats.duplicates++;
    this.bus.emit('message.rejected', {
      reason: 'duplicate',
      sensorId: message.sensorId,
      dialect: message.dialect,
    });
    return settled;
  }

  private openBatch(): Batch {
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers attach their own handlers; this keeps an unobserved failure from crashing the process.
    done.catch(() => undefined);
    const underLoad = this.loadGauge.busy();
    const batch: Batch = { items: [], done, resolve, reject, openedAt: performance.now(), underLoad };
    this.current = batch;
    // setImmediate runs after the current round of socket reads: everything
    // that arrived in it joins this group. Under load, right after another
    // commit, the group gathers for the rest of the gap first.
    const gap = underLoad ? Math.min(MAX_GATHER_MS, Math.max(GATHER_MS, 3 * this.lastLoopMs)) : 0;
    const wait = this.lastFlushAt + gap - performance.now();
    if (wait > 0) setTimeout(() => this.flush(batch), wait);
    else setImmediate(() => this.flush(batch));
    return batch;
  }

  /** Commits the group at the next loop turn instead of at the end of its gathering gap. */
  private hurry(batch: Batch): void {
    const now = performance.now();
    if (now - this.lastUrgentAt < URGENT_EVERY_MS) return;
    this.lastUrgentAt = now;
    // flush() of a group already committed finds it empty and does nothing.
    setImmediate(() => this.flush(batch));
  }

  /**
   * Hands the group to the store. With a store that commits one group at a time (PostgreSQL), a group
   * whose gap ends while another commits keeps gathering (it stays `current`) and goes as soon as that
   * one ends, unless it is full or `now` says so: cut at its gap, it would only wait in the chain, and
   * under a light load every loop turn's few messages would become a transaction of their own.
   */
  private flush(batch: Batch, now = false): void {
    if (batch.items.length === 0) {
      if (this.current === batch) this.current = null;
      return;
    }
    if (!now && !this.pipelined && this.committing > 0 && batch.items.length < MAX_BATCH) {
      this.gathering = batch;
      return;
    }
    if (this.current === batch) this.current = null;
    if (this.gathering === batch) this.gathering = null;
    const items = batch.items.splice(0);
    this.lastFlushAt = performance.now();
    this.loadGauge.count(items.length);
    this.committing++;
    // Whatever goes wrong in one group fails that group only; the chain keeps going.
    this.tail = this.tail
      .then(() => this.commit(items, batch))
      .catch((err: unknown) => this.commitFailed(items, batch, err as Error))
      .finally(() => this.committed());
  }

  /** A group's commit is over (ended, or failed): the group gathering behind it goes. */
  private committed(): void {
    this.committing--;
    const waiting = this.gathering;
    if (waiting && this.committing === 0) this.flush(waiting);
  }

  private async commit(items: Pending[], batch: Batch): Promise<void> {
    const next = new Map<string, SealState>();
    const committed: SealCommitted[] = [];
    const doorEvents: DoorEventRecord[] = [];
    const points: TelemetryPoint[] = [];
    for (const { message, placement } of items) {
      // A window this group copied is the group's own: it grows in place (the committed state's
      // array stays as it is until the group is durable, so de-dup never runs ahead of it). A message
      // without a seq copies nothing: after it the state may still hold the committed array.
      const ours = next.get(message.sensorId);
      const held = this.held(message.sensorId);
      const before = ours ?? held ?? initialSealState(message.sensorId, message.receivedAt);
      const owned = ours !== undefined && ours.recentSeqs !== held?.recentSeqs;
      const { state, doorEvents: events } = applyMessage(before, message, owned);
      next.set(message.sensorId, state);
      for (const e of events) doorEvents.push({ ...e, householdId: placement.householdId });
      points.push(pointFor(message, this.seriesTags.of(message.sensorId, placement)));
      committed.push({
        message,
        before,
        after: state,
        householdId: placement.householdId,
        gridId: placement.gridId,
      });
    }
    // The windows grown in place above go back to RECENT_WINDOW pairs before they are written.
    for (const state of next.values())
      if (state.recentSeqs !== this.held(state.sensorId)?.recentSeqs) trimWindow(state.recentSeqs);

    const started = performance.now();
    const decide = (): void => {
      for (const c of committed) this.bus.emit('seal.decide', c);
    };
    let durable: Promise<boolean>;
    try {
      // Telemetry first: if we die between the two, the sensor resends (no
      // PUBACK yet) and the re-sent point lands on the same series and time.
      this.telemetry.append(points);
      // Where the store can, alerting decides inside the commit's transaction: a kill -9 at
      // any moment leaves both or neither. Everyone else hears of the group once it is committed.
      durable = this.store.commitIngest({
        states: [...next.values()],
        doorEvents,
        events: committed,
        insideTransaction: decide,
        light: !batch.underLoad,
      });
    } catch (err) {
      // The transaction failed (a store that applies before returning throws): nothing was written.
      this.commitFailed(items, batch, err as Error);
      return;
    }
    // What the store did before returning held the event loop; the rest (SQLite's fsync,
    // PostgreSQL's round trip) did not.
    const loopMs = performance.now() - started;
    this.lastLoopMs = loopMs;
    const failuresAtWrite = this.pipelined ? this.syncFailures : null;
    const group: WrittenGroup = { items, next, batch, committed, started, loopMs, decide, failuresAtWrite };
    if (!this.pipelined) {
      await this.end(group, durable);
      return;
    }
    // Applied: the next group may be computed on top of this one now, while this one syncs.
    for (const [id, state] of next) this.written.set(id, state);
    // Observed at once: a sync that fails while earlier groups are still ending is no unhandled rejection.
    durable.catch(() => undefined);
    this.ended = this.ended
      .then(() => this.end(group, durable))
      .catch((err: unknown) => this.logger.error({ err }, 'ingest group ending failed'));
  }

  /** A written group becomes durable, or fails. */
  private async end(group: WrittenGroup, durable: Promise<boolean>): Promise<void> {
    const { items, batch, committed, failuresAtWrite } = group;
    let decidedInside: boolean;
    try {
      decidedInside = await durable;
    } catch (err) {
      // The first failure since it was written (not one already doomed by an earlier group's).
      if (failuresAtWrite !== null && failuresAtWrite === this.syncFailures) {
        // Its transaction may never reach the disk, so neither may any state built on it: the groups
        // written since fail too (their senders resend), and the next starts from durable states.
        this.syncFailures++;
        this.written.clear();
      }
      this.commitFailed(items, batch, err as Error);
      return;
    }
    if (failuresAtWrite !== null && failuresAtWrite !== this.syncFailures) {
      this.commitFailed(items, batch, new Error('an ingest group this one was computed on failed to sync'));
      return;
    }
    if (!decidedInside) group.decide();
    this.afterCommit(group);
    for (const c of committed) this.bus.emit('seal.committed', c);
  }

  /** The state a new message of this sensor applies to: the newest written, else the durable one. */
  private held(sensorId: string): SealState | undefined {
    return this.written.get(sensorId) ?? this.states.get(sensorId);
  }

  private afterCommit({ items, next, batch, started, loopMs }: WrittenGroup): void {
    const gone = forgottenSensors(items);
    for (const [id, state] of next) {
      if (gone?.has(id)) {
        if (this.written.get(id) === state) this.written.delete(id);
        continue;
      }
      this.states.set(id, state);
      if (this.written.get(id) === state) this.written.set(id, undefined);
    }
    this.forget(items);
    this.stats.commits++;
    this.stats.lastBatchSize = items.length;
    const now = performance.now();
    this.logger.trace({ messages: items.length, ms: now - started, loopMs }, 'ingest group committed');
    batch.resolve();
    this.bus.emit('ingest.committed', {
      messages: items.length,
      waitedMs: now - batch.openedAt,
      syncMs: now - started - loopMs,
    });
  }

  private commitFailed(items: Pending[], batch: Batch, err: Error): void {
    this.forget(items);
    this.stats.commitFailures++;
    this.logger.error({ err, messages: items.length }, 'ingest commit failed; senders will retry');
    batch.reject(err);
  }

  private forget(items: Pending[]): void {
    for (const item of items) {
      const list = this.inflight.get(item.message.sensorId);
      if (!list) continue;
      // Groups commit in the order their messages came, so a group's items lead its sensors' lists:
      // taken off the front in place (a filtered copy per item was garbage per message, issue 20.1).
      const at = list[0] === item ? 0 : list.indexOf(item);
      if (at === 0) list.shift();
      else if (at > 0) list.splice(at, 1);
    }
  }
}

/** The sensors taken off while these messages were in flight; null (nothing to build) when none was. */
function forgottenSensors(items: readonly Pending[]): Set<string> | null {
  let gone: Set<string> | null = null;
  for (const item of items) {
    if (!item.forgotten) continue;
    gone ??= new Set();
    gone.add(item.message.sensorId);
  }
  return gone;
}

/** A door or tamper event, or a heartbeat whose door position differs from the one held (a lost event). */
function isUrgent(message: SealMessage, held: SealState | undefined): boolean {
  if (message.kind === 'door' || message.kind === 'tamper') return true;
  return message.kind === 'heartbeat' && message.door !== null && message.door !== (held?.door ?? null);
}
