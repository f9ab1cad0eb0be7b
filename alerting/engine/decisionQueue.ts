import type { Written } from '../alertStore.ts';

/**
 * The engine's one serial queue. Every decision (a message, a sweep, an acknowledgement, a
 * delivery's outcome) runs as one task: compute from memory, write, and only once the write has
 * succeeded update memory. The next task starts after that, so it always sees memory as the
 * database has it, and a failed write leaves nothing behind in memory.
 *
 * A task runs at once when nothing is ahead of it, and one whose write finishes synchronously
 * (SQLite) finishes in the caller's turn: a message arriving inside ingest's transaction is decided
 * inside it. Only a task that waits for its write (PostgreSQL) makes later ones wait their turn.
 */
export class DecisionQueue {
  /** The last task still waiting for its write, or null when the queue is idle. */
  private tail: Promise<unknown> | null = null;
  /** A task is running synchronously now: one it starts (through the bus) goes after it. */
  private running = false;
  /** A write failed half-way (see watch): memory is read again before the next task. */
  private stale = false;

  /** `resync` reads memory again from the store. */
  constructor(private readonly resync: () => Promise<void> = async () => undefined) {}

  /**
   * A write that fails asynchronously may still have committed: the connection can go after
   * PostgreSQL received the COMMIT and before its answer came back. Memory then lags the database,
   * so it is read again before the next task decides anything. (A synchronous write that throws
   * wrote nothing.)
   */
  watch(written: Written): Written {
    return written?.catch((err: unknown) => {
      this.stale = true;
      throw err;
    });
  }

  get idle(): boolean {
    return this.tail === null && !this.running;
  }

  run(task: () => Written): Written;
  run<T>(task: () => T | Promise<T>): T | Promise<T>;
  run<T>(task: () => T | Promise<T>): T | Promise<T> {
    if (!this.idle || this.stale) return this.track(this.after(task));
    this.running = true;
    let result: T | Promise<T>;
    try {
      result = task();
    } finally {
      this.running = false;
    }
    return result instanceof Promise ? this.track(result) : result;
  }

  /** Resolves once every task queued so far has finished, failed ones included (before a stop). */
  async drain(): Promise<void> {
    for (let t = this.tail; t !== null; t = this.tail) await t.catch(() => undefined);
  }

  private after<T>(task: () => T | Promise<T>): Promise<T> {
    const previous = this.tail ?? Promise.resolve();
    const ready = () => (this.stale ? this.resync().then(() => (this.stale = false)) : undefined);
    // A failed task fails its caller only; the queue goes on. A failed resync fails this task and
    // is tried again before the next.
    return previous.then(ready, ready).then(() => task());
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.tail = p;
    const clear = () => {
      if (this.tail === p) this.tail = null;
    };
    p.then(clear, clear);
    return p;
  }
}

/**
 * Runs `then` once `written` is done: in the same turn when the store wrote synchronously
 * (SQLite), after the promise otherwise. A failed write skips `then` and fails the caller.
 */
export function whenWritten<T>(written: Written, then: () => T): T | Promise<T> {
  return written === undefined ? then() : written.then(then);
}

/** `whenWritten` for what returns nothing: the result is a `Written` again. */
export function afterWrite(written: Written, then: () => void): Written {
  if (written !== undefined) return written.then(then);
  then();
  return undefined;
}
