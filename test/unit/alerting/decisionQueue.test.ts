import { describe, expect, it } from 'vitest';
import { afterWrite, DecisionQueue } from '../../../alerting/engine/decisionQueue.ts';

/** A write that finishes when the test says so (a PostgreSQL transaction in flight). */
function pendingWrite() {
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { done, finish, fail };
}

describe('decision queue', () => {
  it('runs a task at once when idle, and one that writes synchronously finishes in the same turn', () => {
    const queue = new DecisionQueue();
    const memory: string[] = [];
    const result = queue.run(() => afterWrite(undefined, () => memory.push('a')));
    // No promise, nothing deferred: a message decided inside ingest's transaction stays inside it.
    expect(result).toBeUndefined();
    expect(memory).toEqual(['a']);
    expect(queue.idle).toBe(true);
  });

  it('a task waiting for its write holds back the next, which then sees memory as written', async () => {
    const queue = new DecisionQueue();
    const memory: string[] = [];
    const write = pendingWrite();
    const first = queue.run(() => afterWrite(write.done, () => memory.push('first')));
    let seenBySecond: string[] | null = null;
    const second = queue.run(() => {
      seenBySecond = [...memory];
      return afterWrite(undefined, () => memory.push('second'));
    });
    expect(queue.idle).toBe(false);
    await new Promise((r) => setTimeout(r, 10));
    expect(seenBySecond).toBeNull(); // not computed while the first write is in flight
    write.finish();
    await Promise.all([first, second]);
    expect(seenBySecond).toEqual(['first']);
    expect(memory).toEqual(['first', 'second']);
    expect(queue.idle).toBe(true);
  });

  it('a failed write fails its caller, leaves memory untouched, and the queue goes on', async () => {
    const queue = new DecisionQueue();
    const memory: string[] = [];
    const write = pendingWrite();
    const failing = queue.run(() => afterWrite(write.done, () => memory.push('lost')));
    const next = queue.run(() => afterWrite(undefined, () => memory.push('next')));
    write.fail(new Error('connection refused'));
    await expect(failing).rejects.toThrow('connection refused');
    await next;
    expect(memory).toEqual(['next']);
    // A synchronous failure throws to the caller at once (the bus logs it).
    expect(() =>
      queue.run(() => {
        throw new Error('constraint');
      }),
    ).toThrow('constraint');
    expect(queue.idle).toBe(true);
  });

  it('a task started by a running task (through the bus) goes after it', async () => {
    const queue = new DecisionQueue();
    const order: string[] = [];
    let inner: unknown;
    // The outer task is synchronous: nothing to wait for.
    void queue.run(() => {
      inner = queue.run(() => {
        order.push('inner');
      });
      order.push('outer');
    });
    expect(order).toEqual(['outer']);
    await inner;
    expect(order).toEqual(['outer', 'inner']);
  });

  it('drain waits for every task queued so far', async () => {
    const queue = new DecisionQueue();
    const write = pendingWrite();
    const failing = queue.run(() => afterWrite(write.done, () => undefined));
    failing?.catch(() => undefined);
    let drained = false;
    const drain = queue.drain().then(() => {
      drained = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(drained).toBe(false);
    write.fail(new Error('gone'));
    await drain;
    expect(drained).toBe(true);
  });
});
