/**
 * Offline detection for 100k+ sensors without a timer per sensor: one min-heap of deadlines with
 * lazy invalidation. `touch` is O(log n) (one push; the superseded entry is skipped when it surfaces),
 * `expired(now)` pops only what is due. Superseded entries are bounded by compaction.
 *
 * Grace: a sensor's effective deadline is `max(lastSeen, graceFrom) + interval × missedBeats`.
 * `graceFrom` is the start-up time, so nothing goes offline during the first window after start, and
 * `regrace(at)` moves it forward when the sweep notices that we ourselves were paused (event-loop
 * stall, suspended VM, wall clock jumping ahead): silence we could not have observed is not offline.
 */

export interface SilentEntry {
  sensorId: string;
  lastSeen: number;
  /** The effective deadline that passed. */
  deadline: number;
  windowMs: number;
}

interface Tracked {
  lastSeen: number;
  windowMs: number;
  version: number;
  silent: boolean;
  deadline: number;
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

  constructor(opts: { startedAt: number }) {
    this.graceFrom = opts.startedAt;
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
    const windowMs = intervalMs * missedBeats;
    const cur = this.sensors.get(sensorId);
    if (cur && lastSeen <= cur.lastSeen && windowMs === cur.windowMs) return false;
    const wasSilent = cur?.silent === true && lastSeen > cur.lastSeen;
    const version = (cur?.version ?? 0) + 1;
    const seen = Math.max(lastSeen, cur?.lastSeen ?? lastSeen);
    const deadline = seen + windowMs;
    this.sensors.set(sensorId, {
      lastSeen: seen,
      windowMs,
      version,
      silent: cur?.silent === true && !wasSilent,
      deadline,
    });
    if (wasSilent || !cur?.silent) this.silentSet.delete(sensorId);
    this.push({ deadline, sensorId, version });
    this.maybeCompact();
    return wasSilent;
  }

  remove(sensorId: string): void {
    this.sensors.delete(sensorId);
    this.silentSet.delete(sensorId);
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
      const effective = Math.max(t.lastSeen, this.graceFrom) + t.windowMs;
      if (effective > now) {
        t.deadline = effective;
        this.push({ deadline: effective, sensorId: top.sensorId, version: t.version });
        continue;
      }
      t.silent = true;
      t.deadline = effective;
      this.silentSet.set(top.sensorId, {
        sensorId: top.sensorId,
        lastSeen: t.lastSeen,
        deadline: effective,
        windowMs: t.windowMs,
      });
      out.push(top.sensorId);
    }
    return out;
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

  private maybeCompact(): void {
    if (this.heap.length < 1024 || this.heap.length < 4 * this.sensors.size) return;
    const fresh: HeapItem[] = [];
    for (const [sensorId, t] of this.sensors) {
      if (!t.silent) fresh.push({ deadline: t.deadline, sensorId, version: t.version });
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
