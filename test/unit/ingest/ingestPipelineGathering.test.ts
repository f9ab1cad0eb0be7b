/**
 * How long a commit group gathers (issue 20.1, PUBACK latency): under a light load a group commits at
 * the next loop turn, even right after another commit; under load it gathers until GATHER_MS (4 ms)
 * after the last commit, so one commit and one fsync serve many messages. With a store that commits
 * one group at a time (PostgreSQL), the next group gathers for as long as the one before commits.
 * Real SQLite store (in memory) and bus, or a DOUBLE of that one-at-a-time store (`OneAtATimeStore`:
 * the test decides when each commit ends, which a real PostgreSQL cannot be made to do); the load is
 * the test's answer (`FixedLoad`, ingestLoad.test.ts tests the real gauge), and timers and the clock
 * are vitest's fake ones, so a group that waits for a timer waits until the test moves the clock.
 * setImmediate stays real: a loop turn is a real one. A light load also lets the store wait for the
 * disk on the event loop (storage/sqlite/walFlush.ts; walFlush.test.ts tests that side).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LoadGauge } from '../../../ingest/ingestLoad.ts';
import type { IngestCommit, IngestStore } from '../../../ingest/ingestStore.ts';
import {
  heartbeat,
  memorySqliteStore,
  pipelineOver,
  PLACEMENT as placement,
} from '../../helpers/ingestPipelineRig.ts';
import { track } from '../../helpers/promiseState.ts';

class FixedLoad implements LoadGauge {
  counted = 0;
  constructor(public underLoad: boolean) {}
  count(messages: number): void {
    this.counted += messages;
  }
  busy(): boolean {
    return this.underLoad;
  }
}

/** Commits one group at a time, as PostgreSQL does (nothing applied before it returns); each ends when the test says. */
class OneAtATimeStore implements IngestStore {
  readonly appliesIngestBeforeReturning = false;
  /** The sensors of each group, in the order they came. */
  readonly groups: string[][] = [];
  private readonly ends: Array<() => void> = [];
  async loadSealStates() {
    return [];
  }
  commitIngest(commit: IngestCommit): Promise<boolean> {
    this.groups.push((commit.events ?? []).map((e) => e.message.sensorId));
    return new Promise((resolve) => this.ends.push(() => resolve(false)));
  }
  endOne(): void {
    this.ends.shift()?.();
  }
}

function rig(underLoad: boolean, store: IngestStore = memorySqliteStore()) {
  const load = new FixedLoad(underLoad);
  return { pipeline: pipelineOver(store, { load }), load };
}

/** Real loop turns (setImmediate is not faked), and the promise callbacks between them. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('IngestPipeline: how long a commit group gathers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('under a light load, commits a group at the next loop turn, even right after another commit', async () => {
    const { pipeline, load } = rig(false);
    await pipeline.accept(heartbeat('s1', 1), placement);
    const next = track(pipeline.accept(heartbeat('s2', 1), placement));
    await turns(3);
    expect(next.state).toBe('resolved');
    expect(pipeline.getStats()).toMatchObject({ commits: 2, lastBatchSize: 1 });
    expect(load.counted).toBe(2);
  });

  it('under load, gathers what comes until 4 ms after the last commit, in one group', async () => {
    const { pipeline } = rig(true);
    await pipeline.accept(heartbeat('s1', 1), placement);
    const gathered = ['s2', 's3', 's4'].map((id) => track(pipeline.accept(heartbeat(id, 1), placement)));
    await turns(3);
    expect(gathered.map((g) => g.state)).toEqual(['pending', 'pending', 'pending']);
    vi.advanceTimersByTime(3);
    await turns(3);
    expect(gathered.map((g) => g.state)).toEqual(['pending', 'pending', 'pending']);
    vi.advanceTimersByTime(1);
    await turns(3);
    expect(gathered.map((g) => g.state)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(pipeline.getStats()).toMatchObject({ commits: 2, lastBatchSize: 3 });
  });

  it('asks the store to wait for the disk on the event loop only under a light load', async () => {
    const asked: Array<boolean | undefined> = [];
    for (const underLoad of [false, true]) {
      // The real store, its commits recorded on their way in.
      const store = memorySqliteStore();
      const commitIngest = store.commitIngest.bind(store);
      store.commitIngest = (commit) => {
        asked.push(commit.light);
        return commitIngest(commit);
      };
      await rig(underLoad, store).pipeline.accept(heartbeat('s1', 1), placement);
    }
    expect(asked).toEqual([true, false]);
  });

  it('with a store that commits one group at a time, gathers everything that comes while a group commits into the next', async () => {
    const store = new OneAtATimeStore();
    const { pipeline } = rig(false, store);
    const first = track(pipeline.accept(heartbeat('s1', 1), placement));
    await turns(2);
    expect(store.groups).toEqual([['s1']]);
    // Three loop turns of messages while the first group commits: one group, not three.
    const gathered: ReturnType<typeof track>[] = [];
    for (const id of ['s2', 's3', 's4']) {
      gathered.push(track(pipeline.accept(heartbeat(id, 1), placement)));
      await turns(2);
    }
    expect(store.groups).toEqual([['s1']]);
    store.endOne();
    await turns(3);
    expect(first.state).toBe('resolved');
    expect(store.groups).toEqual([['s1'], ['s2', 's3', 's4']]);
    expect(gathered.map((g) => g.state)).toEqual(['pending', 'pending', 'pending']);
    store.endOne();
    await turns(3);
    expect(gathered.map((g) => g.state)).toEqual(['resolved', 'resolved', 'resolved']);
  });

  it('with such a store, drain commits the gathering group at once, behind the one committing', async () => {
    const store = new OneAtATimeStore();
    const { pipeline } = rig(false, store);
    void pipeline.accept(heartbeat('s1', 1), placement);
    await turns(2);
    const last = track(pipeline.accept(heartbeat('s2', 1), placement));
    await turns(2);
    const drained = track(pipeline.drain());
    await turns(2);
    expect(drained.state).toBe('pending');
    store.endOne();
    await turns(3);
    expect(store.groups).toEqual([['s1'], ['s2']]);
    expect(drained.state).toBe('pending');
    store.endOne();
    await turns(3);
    expect([last.state, drained.state]).toEqual(['resolved', 'resolved']);
  });
});
