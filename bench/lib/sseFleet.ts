/**
 * Many SSE clients of GET /api/events in a worker thread (bench/lib/sseFleetWorker.ts). The main thread posts
 * what it published (sensor, device ts, publish time) and asks for progress and the final result.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, SseFleetData, SseFleetResult, ToWorker } from './sseFleetWorker.ts';

export interface SseFleet {
  /** Resolves when every client has its 200 answer (or failed to). */
  ready: Promise<{ opened: number; failed: string[] }>;
  /** Publish records: [sensor index, device ts, publish time ms (process.hrtime)] repeated. */
  published(triples: number[]): void;
  progress(): Promise<Extract<FromWorker, { type: 'progress' }>>;
  /** Counts since the previous phase (or the start); the clients stay connected. */
  endPhase(): Promise<SseFleetResult>;
  terminate(): Promise<void>;
}

export function startSseFleet(data: SseFleetData): SseFleet {
  // The bench runs under `node --import tsx`, which a worker does not inherit: register tsx inside it first.
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./sseFleetWorker.ts', import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`,
    { eval: true, workerData: data },
  );
  const waiting = new Map<FromWorker['type'], Array<(m: FromWorker) => void>>();
  let failure: Error | null = null;
  const rejecters = new Set<(e: Error) => void>();
  worker.on('message', (m: FromWorker) => {
    const list = waiting.get(m.type);
    const next = list?.shift();
    next?.(m);
  });
  worker.on('error', (err) => {
    failure = err;
    for (const r of rejecters) r(err);
  });
  const next = <T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      rejecters.add(reject);
      const list = waiting.get(type) ?? [];
      list.push((m) => {
        rejecters.delete(reject);
        resolve(m as Extract<FromWorker, { type: T }>);
      });
      waiting.set(type, list);
    });
  const send = (m: ToWorker, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer);
  return {
    ready: next('ready'),
    published(triples) {
      if (triples.length === 0) return;
      const t = Float64Array.from(triples);
      send({ type: 'pub', triples: t }, [t.buffer as ArrayBuffer]);
    },
    progress() {
      const p = next('progress');
      send({ type: 'progress' });
      return p;
    },
    async endPhase() {
      const r = next('phase');
      send({ type: 'endPhase' });
      return (await r).result;
    },
    async terminate() {
      await worker.terminate();
    },
  };
}
