import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

/**
 * A synchronous PostgreSQL client: the caller's thread blocks (Atomics.wait) while a worker thread
 * runs the statement on its own connection.
 *
 * Why block: the alert store port is synchronous on purpose (alerting/alertStore.ts). One decision
 * is computed and written with no await in between, so a sweep and a message can never interleave
 * half-way; the SQLite store keeps that by nature, this keeps it on PostgreSQL. The price is the
 * event loop waiting for each alert write, about a millisecond on a local network (measured in the
 * closing note of the shared-store work); alert writes are rare next to seal messages, which go
 * through the asynchronous pool.
 */

export interface Statement {
  text: string;
  values?: readonly unknown[];
}

export interface Result<R> {
  rows: R[];
  rowCount: number;
}

export interface SyncPgOptions {
  /** A request that takes longer throws, and the worker's connection is replaced (default 10 s). */
  timeoutMs?: number;
  applicationName?: string;
}

interface Answer {
  id: number;
  rows?: unknown[];
  rowCount?: number;
  results?: Result<unknown>[];
  error?: { message: string; code: string | null; detail: string | null };
}

/** A PostgreSQL error, or a timeout, with the statement that caused it. */
export class SyncPgError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
    readonly sql: string,
  ) {
    super(`${message} (${code ?? 'no SQLSTATE'}) in: ${sql.slice(0, 200)}`);
    this.name = 'SyncPgError';
  }
}

const WORKER_URL = new URL('./syncWorker.mjs', import.meta.url);

export class SyncPg {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private seq = 0;
  private closed = false;
  private readonly timeoutMs: number;

  private constructor(
    private readonly url: string,
    private readonly options: SyncPgOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The connection opens on the first request. */
  static open(url: string, options: SyncPgOptions = {}): SyncPg {
    return new SyncPg(url, options);
  }

  query<R = Record<string, unknown>>(text: string, values: readonly unknown[] = []): R[] {
    return this.run<R>(text, values).rows;
  }

  /** Rows changed by an INSERT, UPDATE or DELETE. */
  execute(text: string, values: readonly unknown[] = []): number {
    return this.run(text, values).rowCount;
  }

  /** Every statement in one transaction, in one round trip to the worker: all or nothing. */
  transaction(statements: readonly Statement[]): Result<Record<string, unknown>>[] {
    if (statements.length === 0) return [];
    const answer = this.call({ op: 'tx', statements }, statements.map((s) => s.text).join('; '));
    return answer.results as Result<Record<string, unknown>>[];
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  private run<R>(text: string, values: readonly unknown[]): Result<R> {
    const answer = this.call({ op: 'query', text, values }, text);
    return { rows: answer.rows as R[], rowCount: answer.rowCount ?? 0 };
  }

  private call(request: Record<string, unknown>, sql: string): Answer {
    if (this.closed) throw new SyncPgError('the client is closed', null, sql);
    const port = this.ensureWorker();
    const id = ++this.seq;
    port.postMessage({ id, ...request });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      // Answers of requests that timed out earlier arrive late: they are skipped.
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const answer = m.message as Answer;
        if (answer.id !== id) continue;
        if (answer.error) throw new SyncPgError(answer.error.message, answer.error.code, sql);
        return answer;
      }
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.signal, 0, seen, left) === 'timed-out') {
        // The worker may be stuck on a dead connection: start afresh on the next request.
        this.reset();
        throw new SyncPgError(`no answer within ${this.timeoutMs} ms`, null, sql);
      }
    }
  }

  private ensureWorker(): MessagePort {
    if (this.port) return this.port;
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(WORKER_URL, {
      workerData: {
        port: port2,
        signal: this.signal.buffer,
        url: this.url,
        applicationName: this.options.applicationName ?? 'sealwatch-sync',
      },
      transferList: [port2],
    });
    // The worker only ends when terminated; an unexpected exit shows as timeouts, then a new worker.
    this.worker.unref();
    this.worker.on('error', () => this.reset());
    port1.unref();
    this.port = port1;
    return port1;
  }

  private reset(): void {
    const worker = this.worker;
    this.port?.close();
    this.port = null;
    this.worker = null;
    void worker?.terminate();
  }
}
