/** Aedes' callback for a PUBLISH it asked a hook about (`authorizePublish`). */
export type Done = (err: Error | null) => void;

/**
 * The PUBLISHes waiting for one verdict promise, answered through `answer` once it settles, in the
 * order they came. Ingest hands every message of a commit group the same promise
 * (ingest/messageHandler.ts), and consecutive PUBLISHes nearly always belong to the same group: they
 * wait in one list behind one pair of handlers, instead of a promise and two closures each
 * (issue 20.1). A rejection answers each of them with the error.
 */
export class VerdictWaiters<Verdict, Item> {
  private promise: Promise<Verdict> | null = null;
  private waiting: Array<Item | Done> = [];

  constructor(private readonly answer: (verdict: Verdict, item: Item, done: Done) => void) {}

  wait(promise: Promise<Verdict>, item: Item, done: Done): void {
    if (promise !== this.promise) {
      this.promise = promise;
      const waiting: Array<Item | Done> = [];
      this.waiting = waiting;
      const answered = () => {
        // The same promise handed out again after this (none is today) starts a new list.
        if (this.waiting === waiting) this.promise = null;
      };
      promise.then(
        (verdict) => {
          answered();
          eachWaiting(waiting, (item, done) => this.answer(verdict, item, done));
        },
        (err: Error) => {
          answered();
          eachWaiting(waiting, (_item, done) => done(err));
        },
      );
    }
    this.waiting.push(item, done);
  }
}

/**
 * Answers every waiting PUBLISH, also when answering one throws (as when each had its own promise);
 * the first error is thrown after, for the process's unhandled-rejection log.
 */
function eachWaiting<Item>(waiting: Array<Item | Done>, answer: (item: Item, done: Done) => void): void {
  let failure: unknown = null;
  for (let i = 0; i < waiting.length; i += 2) {
    try {
      answer(waiting[i] as Item, waiting[i + 1] as Done);
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== null) throw failure;
}
