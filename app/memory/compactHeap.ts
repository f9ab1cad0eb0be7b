/**
 * One full, compacting garbage collection, on request. V8 gives memory back to the system only from pages
 * it empties; a plain full collection frees the garbage but leaves the survivors spread over the pages a
 * login storm filled, so the process keeps them. With `--compact-on-every-full-gc` for this one collection
 * V8 moves the survivors together and releases the rest (issue 20.3; deploy/README.md §15 has the
 * figures).
 *
 * `gc` is not exposed to the service's own context without `node --expose-gc`; turning the flag on at run
 * time exposes it to a new context, which is where we take it from (as bench/lib/connectionMemoryProbe.ts
 * does). The compaction flag is V8's and is read at each full collection, so it is on only around this
 * one call.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface HeapFigures {
  /** V8 heap in use (live objects and garbage not yet collected), bytes. */
  heapUsed: number;
  /** V8 heap committed, bytes. */
  heapTotal: number;
  /** Resident set, bytes. Read right after a compaction it has not fallen yet (see releaseAfterLogins.ts). */
  rss: number;
}

export interface Compaction {
  pauseMs: number;
  before: HeapFigures;
  after: HeapFigures;
}

const figures = (): HeapFigures => {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss };
};

/** The compacting collection, or why this Node does not let us run one. */
export function heapCompactor(): { compact(): Compaction } | { unavailable: string } {
  let gc: () => void;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
    if (typeof gc !== 'function') return { unavailable: 'gc is not a function in a new context' };
  } catch (err) {
    return { unavailable: `cannot expose gc: ${(err as Error).message}` };
  }
  return {
    compact() {
      const before = figures();
      const started = performance.now();
      setFlagsFromString('--compact-on-every-full-gc');
      try {
        gc();
      } finally {
        setFlagsFromString('--no-compact-on-every-full-gc');
      }
      const pauseMs = performance.now() - started;
      return { pauseMs, before, after: figures() };
    },
  };
}
