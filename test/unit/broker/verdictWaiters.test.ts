import { describe, expect, it } from 'vitest';
import { type Done, VerdictWaiters } from '../../../broker/verdictWaiters.ts';

/** Records, in order, what each waiting item was answered: `<item>:<verdict>` or `<item>!<error>`. */
function recorder() {
  const answers: string[] = [];
  const waiters = new VerdictWaiters<string, string>((verdict, item, done) => {
    answers.push(`${item}:${verdict}`);
    done(null);
  });
  const doneFor =
    (item: string): Done =>
    (err) => {
      if (err) answers.push(`${item}!${err.message}`);
    };
  return { answers, waiters, doneFor };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('VerdictWaiters', () => {
  it('answers everyone waiting for one promise once it settles, in the order they came', async () => {
    const { answers, waiters, doneFor } = recorder();
    const group = deferred<string>();
    for (const item of ['a', 'b', 'c']) waiters.wait(group.promise, item, doneFor(item));
    await settle();
    expect(answers).toEqual([]);
    group.resolve('ok');
    await settle();
    expect(answers).toEqual(['a:ok', 'b:ok', 'c:ok']);
  });

  it('keeps each promise its own waiters: the next group, a lone drop', async () => {
    const { answers, waiters, doneFor } = recorder();
    const [one, two] = [deferred<string>(), deferred<string>()];
    waiters.wait(one.promise, 'a', doneFor('a'));
    waiters.wait(Promise.resolve('dropped'), 'x', doneFor('x'));
    waiters.wait(two.promise, 'b', doneFor('b'));
    waiters.wait(two.promise, 'c', doneFor('c'));
    two.resolve('second');
    await settle();
    expect(answers).toEqual(['x:dropped', 'b:second', 'c:second']);
    one.resolve('first');
    await settle();
    expect(answers).toEqual(['x:dropped', 'b:second', 'c:second', 'a:first']);
  });

  it('fails everyone waiting when the promise rejects', async () => {
    const { answers, waiters, doneFor } = recorder();
    const group = deferred<string>();
    waiters.wait(group.promise, 'a', doneFor('a'));
    waiters.wait(group.promise, 'b', doneFor('b'));
    group.reject(new Error('sync failed'));
    await settle();
    expect(answers).toEqual(['a!sync failed', 'b!sync failed']);
  });

  it('still answers a promise handed out again after it settled', async () => {
    const { answers, waiters, doneFor } = recorder();
    const settled = Promise.resolve('ok');
    waiters.wait(settled, 'a', doneFor('a'));
    await settle();
    waiters.wait(settled, 'b', doneFor('b'));
    await settle();
    expect(answers).toEqual(['a:ok', 'b:ok']);
  });

  it('answers the others when answering one throws, and reports the error', async () => {
    const answered: string[] = [];
    const waiters = new VerdictWaiters<string, string>((_verdict, item, done) => {
      if (item === 'b') throw new Error('b broke');
      answered.push(item);
      done(null);
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const group = deferred<string>();
      for (const item of ['a', 'b', 'c']) waiters.wait(group.promise, item, () => {});
      group.resolve('ok');
      await settle();
      await settle();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(answered).toEqual(['a', 'c']);
    expect(unhandled).toEqual([new Error('b broke')]);
  });
});
