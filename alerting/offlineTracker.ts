/**
 * Offline detection for 100k+ sensors without a timer per sensor: one min-heap of deadlines, at most
 * one live entry per sensor. `touch` is O(1) in the common case: a heartbeat only moves the sensor's
 * deadline *later*, so its heap entry is left where it is and, when it surfaces, is pushed back at the
 * current deadline (O(log n) once per window instead of once per heartbeat). Only a deadline moving
 * earlier (a shorter interval) pushes a new entry; the superseded one is skipped by its version.
 *
 * Grace: a sensor's effective deadline is `max(lastSeen, graceFrom) + interval × missedBeats`.
 * `graceFrom` is the start-up time, so nothing goes offline during the first window after start, and
 * `regrace(at)` moves it forward when the sweep notices that we ourselves were paused (event-loop
 * stall, suspended VM, wall clock jumping ahead): silence we could not have observed is not offline.
 *
 * A restart must not forget what the previous run saw: a sensor that was silent at its last sweep
 * is silent now, at its own deadline, with no new grace (its offline alert, or the outage it
 * belongs to, stays as it was). Only silence that would have begun while nobody watched gets the
 * start-up grace. The engine persists the silent set and hands it to `resumeFrom`.
 */

export interface SilentEntry {
  sensorId: string;
  lastSeen: number;
  /** The effective deadline that passed. */
  deadline: number;
  windowMs: number;
  /** The sensor's heartbeat interval (its model's): the outage rule groups silences by it. */
  intervalMs: number;
}

interface Tracked {
  lastSeen: number;
  windowMs: number;
  intervalMs: number;
  version: number;
  silent: boolean;
  /** Deadline of the live heap entry, or null when none is queued (new, or silent). */
  queuedAt: number | null;
  /** Its window counts from here at the earliest: its gateway came back then (`restartWindow`). */
  windowFrom?: number;
}

interface HeapItem {
  deadline: number;
  sensorId: string;
  version: number;
}

export class OfflineTracker {
  private readonly sensors = new Map<string, Tracked>();
  private readonly silentSet = new Map<string, SilentEntry>();
  private heap: HeapItem[] = [];
  private graceFrom: number;
  /** Silent at the previous run's last sweep, and not heard from since. */
  private silentBefore = new Set<string>();
  private silentChanges = 0;
  /** Global, so an entry left in the heap by a removed sensor never matches a re-added one. */
  private nextVersion = 1;

  constructor(opts: { startedAt: number }) {
    this.graceFrom = opts.startedAt;
  }

  /** Called once at start, before the first `expired`, with the silent set the previous run persisted. */
  resumeFrom(silentIds: Iterable<string>): void {
    this.silentBefore = new Set(silentIds);
  }

  /** The start of the grace in force. */
  get graceStart(): number {
    return this.graceFrom;
  }

  /** Grows whenever the silent set changes: the engine persists the set when it did. */
  get silentVersion(): number {
    return this.silentChanges;
  }

  silentIds(): IterableIterator<string> {
    return this.silentSet.keys();
  }

  get size(): number {
    return this.sensors.size;
  }

  get silentCount(): number {
    return this.silentSet.size;
  }

  /** Heap entries including superseded ones (for metrics and the bench). */
  get heapSize(): number {
    return this.heap.length;
  }

  /**
   * Record that `sensorId` was heard at `lastSeen` (receive time). Returns true when the sensor was
   * silent (past its deadline) and is now back. An older `lastSeen` than the one known is ignored.
   */
  touch(sensorId: string, lastSeen: number, intervalMs: number, missedBeats: number): boolean {
    // Rounded: a model's missed beats may be fractional (1.2 × a sleep period).
    const windowMs = Math.round(intervalMs * missedBeats);
    const cur = this.sensors.get(sensorId);
    if (!cur) {
      const t: Tracked = {
        lastSeen,
        windowMs,
        intervalMs,
        version: this.nextVersion++,
        silent: false,
        queuedAt: null,
      };
      this.sensors.set(sensorId, t);
      this.enqueue(sensorId, t);
      return false;
    }
    const newer = lastSeen > cur.lastSeen;
    if (!newer && windowMs === cur.windowMs && intervalMs === cur.intervalMs) return false;
    if (newer) {
      cur.lastSeen = lastSeen;
      this.silentBefore.delete(sensorId);
    }
    cur.windowMs = windowMs;
    cur.intervalMs = intervalMs;
    const cameBack = cur.silent && newer;
    if (cameBack) {
      cur.silent = false;
      this.silentSet.delete(sensorId);
      this.silentChanges++;
    }
    if (!cur.silent && (cur.queuedAt === null || cur.queuedAt > cur.lastSeen + windowMs)) {
      // No entry, or the one queued would fire too late: queue a fresh one.
      cur.version = this.nextVersion++;
      this.enqueue(sensorId, cur);
    }
    return cameBack;
  }

  remove(sensorId: string): void {
    this.sensors.delete(sensorId);
    if (this.silentSet.delete(sensorId)) this.silentChanges++;
    this.silentBefore.delete(sensorId);
  }

  /**
   * The sensor's gateway is back at `at` (alerting/rules/gatewayOutage.ts): its silence so far is
   * explained, and it is judged again from `at`, by its own window. Not a sign of life: its
   * last-seen time stays.
   */
  restartWindow(sensorId: string, at: number): void {
    const t = this.sensors.get(sensorId);
    if (!t) return;
    t.windowFrom = Math.max(t.windowFrom ?? at, at);
    this.silentBefore.delete(sensorId);
    if (!t.silent) return; // its queued entry finds the later deadline when it surfaces
    t.silent = false;
    this.silentSet.delete(sensorId);
    this.silentChanges++;
    t.version = this.nextVersion++;
    t.queuedAt = t.windowFrom + t.windowMs;
    this.push({ deadline: t.queuedAt, sensorId, version: t.version });
  }

  /** Silence we may not have observed ends at `at`: no deadline before `at + window`. */
  regrace(at: number): void {
    this.graceFrom = Math.max(this.graceFrom, at);
  }

  /** Sensors whose effective deadline is ≤ now and were not silent yet; they become silent. */
  expired(now: number): string[] {
    const out: string[] = [];
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (top.deadline > now) break;
      this.pop();
      const t = this.sensors.get(top.sensorId);
      if (!t || t.version !== top.version || t.silent) continue;
      const from = this.silentBefore.has(top.sensorId) ? t.lastSeen : Math.max(t.lastSeen, this.graceFrom);
      const effective = Math.max(from, t.windowFrom ?? from) + t.windowMs;
      if (effective > now) {
        // Heard from since this entry was queued (or in grace): move it to the current deadline.
        t.queuedAt = effective;
        this.push({ deadline: effective, sensorId: top.sensorId, version: t.version });
        continue;
      }
      t.silent = true;
      t.queuedAt = null;
      this.silentChanges++;
      this.silentSet.set(top.sensorId, {
        sensorId: top.sensorId,
        lastSeen: t.lastSeen,
        deadline: effective,
        windowMs: t.windowMs,
        intervalMs: t.intervalMs,
      });
      out.push(top.sensorId);
    }
    return out;
  }

  /** The deadline that passed, for a silent sensor; undefined when it is not silent. */
  silentDeadline(sensorId: string): number | undefined {
    return this.silentSet.get(sensorId)?.deadline;
  }

  isSilent(sensorId: string): boolean {
    return this.silentSet.has(sensorId);
  }

  silent(): IterableIterator<SilentEntry> {
    return this.silentSet.values();
  }

  lastSeenOf(sensorId: string): number | undefined {
    return this.sensors.get(sensorId)?.lastSeen;
  }

  private enqueue(sensorId: string, t: Tracked): void {
    const deadline = t.lastSeen + t.windowMs;
    t.queuedAt = deadline;
    this.push({ deadline, sensorId, version: t.version });
    this.maybeCompact();
  }

  private maybeCompact(): void {
    if (this.heap.length < 1024 || this.heap.length < 4 * this.sensors.size) return;
    const fresh: HeapItem[] = [];
    for (const [sensorId, t] of this.sensors) {
      if (t.queuedAt !== null) fresh.push({ deadline: t.queuedAt, sensorId, version: t.version });
    }
    fresh.sort((a, b) => a.deadline - b.deadline); // a sorted array is a valid min-heap
    this.heap = fresh;
  }

  private push(item: HeapItem): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (parent.deadline <= item.deadline) break;
      h[i] = parent;
      i = p;
    }
    h[i] = item;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]!.deadline < h[l]!.deadline ? r : l;
      if (h[c]!.deadline >= last.deadline) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
