/**
 * With a store that applies a group before returning (SQLite), the pipeline writes the next group while
 * the previous one syncs (issue 20.1: the transaction of one group no longer waits for the fsync of the
 * one before). What must still hold: a group ends (PUBACK, events) only once it and every group before
 * it are durable, in order; de-dup and the live state never run ahead of durability; and a group whose
 * sync fails takes every group computed on top of it with it, so a resent message is never mistaken for
 * a duplicate of one that was not kept.
 *
 * Real SQLite store (in memory) and bus. The disk's fsync is a DOUBLE (`HeldSyncStore`): the test
 * decides when each group's sync completes or fails, which a real disk cannot be made to do.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';
import type { IngestCommit, IngestStore } from '../../../ingest/ingestStore.ts';
import type { SqliteStore } from '../../../storage/sqlite/sqliteStore.ts';
import {
  HEARTBEAT_T0,
  heartbeat,
  memorySqliteStore,
  pipelineOver,
  PLACEMENT as placement,
} from '../../helpers/ingestPipelineRig.ts';
import { track } from '../../helpers/promiseState.ts';

const logger = pino({ level: 'silent' });
const beat = (seq: number): SealMessage => heartbeat('s1', seq);

/** The real store's transaction at once; its durability when the test says so. */
class HeldSyncStore implements IngestStore {
  readonly appliesIngestBeforeReturning = true;
  readonly syncs: Array<{ complete(): void; fail(err: Error): void }> = [];
  /** The states each transaction wrote, in order. */
  readonly commits: IngestCommit['states'][] = [];
  constructor(readonly inner: SqliteStore) {}
  loadSealStates() {
    return this.inner.loadSealStates();
  }
  commitIngest(commit: IngestCommit): Promise<boolean> {
    const applied = this.inner.commitIngest(commit);
    this.commits.push(commit.states);
    return new Promise((resolve, reject) =>
      this.syncs.push({ complete: () => applied.then(resolve, reject), fail: reject }),
    );
  }
}

function rig() {
  const store = new HeldSyncStore(memorySqliteStore());
  const bus = new EventBus<ServiceEvents>(logger);
  const pipeline = pipelineOver(store, { bus });
  /** What the newest transaction wrote for the sensor. */
  const written = () => {
    const s = store.commits.at(-1)?.find((x) => x.sensorId === 's1');
    return s && { messages: s.messages, recentSeqs: s.recentSeqs };
  };
  return { store, bus, pipeline, written };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
};

/**
 * Seq 1 again, after its group failed or its sensor was taken off: a new message, computed from
 * nothing (no duplicate, no window held over), written as the `n`th group and ended.
 */
async function resendIsNew(
  { store, pipeline, written }: Pick<ReturnType<typeof rig>, 'store' | 'pipeline' | 'written'>,
  n: number,
) {
  const resent = track(pipeline.accept(beat(1), placement));
  await until(() => store.syncs.length === n + 1);
  expect(written()).toEqual({ messages: 1, recentSeqs: [1, HEARTBEAT_T0 + 1] });
  store.syncs[n]?.complete();
  await until(() => resent.state === 'resolved');
}

describe('IngestPipeline: the next group is written while the one before syncs', () => {
  it('writes group 2 on top of group 1 before group 1 is durable, and ends them in order', async () => {
    const { store, bus, pipeline, written } = rig();
    const ended: number[] = [];
    bus.on('seal.committed', (c) => ended.push(c.message.seq as number));
    const first = track(pipeline.accept(beat(1), placement));
    await until(() => store.syncs.length === 1);
    const second = track(pipeline.accept(beat(2), placement));
    // Group 2's transaction ran although group 1 has not synced: computed from group 1's state.
    await until(() => store.syncs.length === 2);
    expect(written()).toEqual({ messages: 2, recentSeqs: [1, HEARTBEAT_T0 + 1, 2, HEARTBEAT_T0 + 2] });
    // Nothing is durable yet: no PUBACK, no live state, no de-dup answer from it.
    expect([first.state, second.state]).toEqual(['pending', 'pending']);
    expect(pipeline.state('s1')).toBeUndefined();
    // A redelivery of seq 1 now waits for its original's group, not for nothing.
    const redelivered = track(pipeline.accept(beat(1), placement));

    // Group 2's sync completes first: it still waits for group 1.
    store.syncs[1]?.complete();
    await new Promise((r) => setTimeout(r, 20));
    expect([first.state, second.state, redelivered.state]).toEqual(['pending', 'pending', 'pending']);

    store.syncs[0]?.complete();
    await until(() => second.state === 'resolved');
    expect([first.state, redelivered.state]).toEqual(['resolved', 'resolved']);
    expect(ended).toEqual([1, 2]);
    expect(pipeline.state('s1')?.recentSeqs).toEqual([1, HEARTBEAT_T0 + 1, 2, HEARTBEAT_T0 + 2]);
    expect(pipeline.getStats()).toMatchObject({ accepted: 2, duplicates: 1, commits: 2, commitFailures: 0 });
  });

  it('fails the groups computed on a group whose sync failed; a resent message is new again', async () => {
    const { store, pipeline, written } = rig();
    const first = track(pipeline.accept(beat(1), placement));
    await until(() => store.syncs.length === 1);
    const second = track(pipeline.accept(beat(2), placement));
    await until(() => store.syncs.length === 2);

    // Group 1's sync fails; group 2's own sync succeeds, but group 2 was computed on group 1.
    store.syncs[0]?.fail(new Error('EIO'));
    store.syncs[1]?.complete();
    await until(() => first.state !== 'pending' && second.state !== 'pending');
    expect([first.state, second.state]).toEqual(['rejected', 'rejected']);
    expect(pipeline.state('s1')).toBeUndefined();

    // The senders resend (no PUBACK): not duplicates, and computed from the durable state alone.
    await resendIsNew({ store, pipeline, written }, 2);
    expect(pipeline.getStats()).toMatchObject({ duplicates: 0, commits: 1, commitFailures: 2 });
    expect(pipeline.state('s1')?.recentSeqs).toEqual([1, HEARTBEAT_T0 + 1]);
  });

  // Its list of messages in flight and its written state go with it (the pipeline keeps both per
  // sensor between messages, issue 20.1). Taken off while its group gathers, the group is written
  // after, with the sensor already gone; taken off while it syncs, the group was written before.
  it.each([
    ['while its message syncs', true],
    ['while its message still gathers in a group', false],
  ])(
    'a sensor taken off %s: the message still ends, and a sensor registered again under its id starts afresh',
    async (_when, writtenFirst) => {
      const { store, pipeline, written } = rig();
      const first = track(pipeline.accept(beat(1), placement));
      if (writtenFirst) await until(() => store.syncs.length === 1);
      pipeline.forgetSensor('s1');
      await until(() => store.syncs.length === 1);
      store.syncs[0]?.complete();
      await until(() => first.state === 'resolved');
      // Its group does not bring its state back.
      expect(pipeline.state('s1')).toBeUndefined();

      // The same seq again is a new message, computed from nothing: no duplicate, no window held over.
      await resendIsNew({ store, pipeline, written }, 1);
      expect(pipeline.getStats()).toMatchObject({ duplicates: 0, commits: 2, commitFailures: 0 });
    },
  );

  it("after a sensor's messages have all ended, a redelivery is a duplicate and the next message is new", async () => {
    const { store, pipeline, written } = rig();
    const first = track(pipeline.accept(beat(1), placement));
    await until(() => store.syncs.length === 1);
    store.syncs[0]?.complete();
    await until(() => first.state === 'resolved');

    const redelivered = track(pipeline.accept(beat(1), placement));
    await until(() => redelivered.state === 'resolved');
    const next = track(pipeline.accept(beat(2), placement));
    await until(() => store.syncs.length === 2);
    expect(written()).toEqual({ messages: 2, recentSeqs: [1, HEARTBEAT_T0 + 1, 2, HEARTBEAT_T0 + 2] });
    store.syncs[1]?.complete();
    await until(() => next.state === 'resolved');
    expect(pipeline.getStats()).toMatchObject({ accepted: 2, duplicates: 1, commits: 2 });
  });

  it('drain waits until the last written group is durable', async () => {
    const { store, pipeline } = rig();
    const accepted = track(pipeline.accept(beat(1), placement));
    await until(() => store.syncs.length === 1);
    const drained = track(pipeline.drain());
    await new Promise((r) => setTimeout(r, 20));
    expect([accepted.state, drained.state]).toEqual(['pending', 'pending']);
    store.syncs[0]?.complete();
    await until(() => drained.state === 'resolved');
    expect(accepted.state).toBe('resolved');
  });
});
