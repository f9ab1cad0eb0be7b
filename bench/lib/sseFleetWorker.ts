/**
 * Worker-thread side of bench/lib/sseFleet.ts: many SSE clients of GET /api/events in one event loop, apart
 * from the MQTT publisher, so parsing hundreds of thousands of frames per second does not delay publishing.
 *
 * Frames are scanned as bytes (no JSON.parse): for a `seal` frame the sensor id and `lastDoorChange` (the
 * device `ts` the publisher sent, as ISO text) name the publish, whose time the main thread posts here. Lag =
 * receive time − publish time, both from process.hrtime (CLOCK_MONOTONIC, shared by the threads of a process).
 * A client the server cuts off reconnects after the stream's `retry` (2 s) with Last-Event-ID, as EventSource
 * does.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import {
  createLatencyHistogram,
  type LatencySummary,
  recordMs,
  summarizeLatency,
} from '../../simulator/load/latency.ts';

export interface SseClientSpec {
  token: string;
  /** Query string for /api/events, e.g. `?gridId=x` or ''. */
  query: string;
  /** Township index the client is scoped to; null = whole tree. */
  township: number | null;
}

export interface SseFleetData {
  port: number;
  clients: SseClientSpec[];
  /** Driving sensors: id and township index. */
  sensors: Array<{ id: string; township: number }>;
  retryMs: number;
}

/**
 * Main → worker. `pub` carries triples [sensor index, device ts, publish time ms (hrtime)]; `endPhase` answers
 * the counts since the previous one and starts new ones (connections stay open).
 */
export type ToWorker = { type: 'pub'; triples: Float64Array } | { type: 'progress' } | { type: 'endPhase' };

export interface ClientResult {
  township: number | null;
  expected: number;
  delivered: number;
  alerts: number;
  resets: number;
  cutoffs: number;
  bytes: number;
}

export interface SseFleetResult {
  lag: LatencySummary;
  lagCountyWide: LatencySummary;
  lagTownship: LatencySummary;
  clients: ClientResult[];
  published: number;
  unmatchedSealFrames: number;
  /** Event-loop utilisation of the client thread over the phase (1 = saturated: lag then includes our own delay). */
  clientLoopUtilization: number;
}

export type FromWorker =
  | { type: 'ready'; opened: number; failed: string[] }
  | { type: 'progress'; delivered: number; expected: number; cutoffs: number; recent: LatencySummary }
  | { type: 'phase'; result: SseFleetResult };

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

interface Client {
  spec: SseClientSpec;
  rest: Buffer | null;
  lastId: string | null;
  delivered: number;
  alerts: number;
  resets: number;
  cutoffs: number;
  bytes: number;
}

const SEP = Buffer.from('\n\n');
const ID = Buffer.from('id: ');
const SENSOR = Buffer.from('"sensorId":"');
const DOOR_CHANGE = Buffer.from('"lastDoorChange":"');
const NL = 0x0a;
const QUOTE = 0x22;

function main(data: SseFleetData): void {
  const port = parentPort!;
  /** `${sensorId}|${iso ts}` → publish time. */
  const published = new Map<string, number>();
  /** Frames that arrived before their publish record (posted every tick): receive times, with the client. */
  const early = new Map<string, Array<{ at: number; county: boolean }>>();
  const townships = Math.max(0, ...data.sensors.map((s) => s.township)) + 1;
  // Per phase: what was published, how late it arrived.
  let perTownship = new Array<number>(townships).fill(0);
  let totalPublished = 0;
  let unmatched = 0;
  let lagAll = createLatencyHistogram();
  let lagCounty = createLatencyHistogram();
  let lagTownship = createLatencyHistogram();
  let recent = createLatencyHistogram();
  let elu0 = performance.eventLoopUtilization();

  const record = (lag: number, county: boolean) => {
    recordMs(lagAll, lag);
    recordMs(recent, lag);
    recordMs(county ? lagCounty : lagTownship, lag);
  };

  const clients: Client[] = data.clients.map((spec) => ({
    spec,
    rest: null,
    lastId: null,
    delivered: 0,
    alerts: 0,
    resets: 0,
    cutoffs: 0,
    bytes: 0,
  }));

  function onFrame(c: Client, buf: Buffer, start: number, end: number, at: number): void {
    if (buf.indexOf(ID, start) !== start) return; // a comment (connected, keepalive) or `retry:`
    const idEnd = buf.indexOf(NL, start);
    const typeAt = idEnd + 8; // "event: "
    const kind = buf[typeAt];
    if (kind === 0x73 /* s: seal */) {
      c.delivered++;
      const s = buf.indexOf(SENSOR, typeAt);
      const d = s < 0 ? -1 : buf.indexOf(DOOR_CHANGE, s);
      if (s < 0 || d < 0 || d > end) {
        unmatched++;
        return;
      }
      const sStart = s + SENSOR.length;
      const dStart = d + DOOR_CHANGE.length;
      const key = `${buf.toString('latin1', sStart, buf.indexOf(QUOTE, sStart))}|${buf.toString('latin1', dStart, buf.indexOf(QUOTE, dStart))}`;
      const county = c.spec.township === null;
      const t = published.get(key);
      if (t !== undefined) record(at - t, county);
      else {
        const list = early.get(key);
        if (list) list.push({ at, county });
        else early.set(key, [{ at, county }]);
      }
    } else if (kind === 0x61 /* a: alert */) c.alerts++;
    else if (kind === 0x72 /* r: reset */) c.resets++;
  }

  function onData(c: Client, chunk: Buffer): void {
    const at = nowMs();
    c.bytes += chunk.length;
    const buf = c.rest ? Buffer.concat([c.rest, chunk]) : chunk;
    let start = 0;
    let lastFrame = -1;
    for (;;) {
      const end = buf.indexOf(SEP, start);
      if (end < 0) break;
      onFrame(c, buf, start, end, at);
      if (buf[start] === 0x69 /* i */) lastFrame = start;
      start = end + 2;
    }
    if (lastFrame >= 0) c.lastId = buf.toString('latin1', lastFrame + 4, buf.indexOf(NL, lastFrame));
    c.rest = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
  }

  function open(c: Client): Promise<void> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${c.spec.token}`,
        accept: 'text/event-stream',
      };
      if (c.lastId) headers['last-event-id'] = c.lastId;
      c.rest = null;
      const req = http.get(
        { host: '127.0.0.1', port: data.port, path: `/api/events${c.spec.query}`, headers, agent: false },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`SSE answered ${res.statusCode}`));
            return;
          }
          res.on('data', (chunk: Buffer) => onData(c, chunk));
          // The server ended (or broke) the stream: it cuts off a client that reads too slowly.
          let ended = false;
          const reconnect = () => {
            if (ended) return;
            ended = true;
            c.cutoffs++;
            setTimeout(() => open(c).catch(() => {}), data.retryMs);
          };
          res.on('end', reconnect);
          res.on('error', reconnect);
          resolve();
        },
      );
      req.on('error', reject);
    });
  }

  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'pub') {
      const t = msg.triples;
      for (let i = 0; i + 2 < t.length; i += 3) {
        const sensor = data.sensors[t[i]!]!;
        const key = `${sensor.id}|${new Date(t[i + 1]!).toISOString()}`;
        const at = t[i + 2]!;
        published.set(key, at);
        totalPublished++;
        perTownship[sensor.township]!++;
        const waiting = early.get(key);
        if (waiting) {
          early.delete(key);
          for (const w of waiting) record(w.at - at, w.county);
        }
      }
    } else if (msg.type === 'progress') {
      let delivered = 0;
      let expected = 0;
      let cutoffs = 0;
      for (const c of clients) {
        delivered += c.delivered;
        expected += c.spec.township === null ? totalPublished : perTownship[c.spec.township]!;
        cutoffs += c.cutoffs;
      }
      port.postMessage({
        type: 'progress',
        delivered,
        expected,
        cutoffs,
        recent: summarizeLatency(recent),
      } satisfies FromWorker);
      recent = createLatencyHistogram();
    } else if (msg.type === 'endPhase') {
      // Frames still waiting for their publish record after the drain have none.
      for (const list of early.values()) unmatched += list.length;
      early.clear();
      const elu = performance.eventLoopUtilization(elu0);
      port.postMessage({
        type: 'phase',
        result: {
          lag: summarizeLatency(lagAll),
          lagCountyWide: summarizeLatency(lagCounty),
          lagTownship: summarizeLatency(lagTownship),
          clients: clients.map((c) => ({
            township: c.spec.township,
            expected: c.spec.township === null ? totalPublished : perTownship[c.spec.township]!,
            delivered: c.delivered,
            alerts: c.alerts,
            resets: c.resets,
            cutoffs: c.cutoffs,
            bytes: c.bytes,
          })),
          published: totalPublished,
          unmatchedSealFrames: unmatched,
          clientLoopUtilization: Math.round(elu.utilization * 100) / 100,
        },
      } satisfies FromWorker);
      for (const c of clients) {
        c.delivered = 0;
        c.alerts = 0;
        c.resets = 0;
        c.cutoffs = 0;
        c.bytes = 0;
      }
      perTownship = new Array<number>(townships).fill(0);
      totalPublished = 0;
      unmatched = 0;
      lagAll = createLatencyHistogram();
      lagCounty = createLatencyHistogram();
      lagTownship = createLatencyHistogram();
      recent = createLatencyHistogram();
      elu0 = performance.eventLoopUtilization();
    }
  });

  // Open in small batches: 200 connections at once is fine, but the server logs and accepts them one by one.
  void (async () => {
    const failed: string[] = [];
    let opened = 0;
    for (let i = 0; i < clients.length; i += 20) {
      const batch = clients.slice(i, i + 20);
      const results = await Promise.allSettled(batch.map(open));
      for (const r of results) {
        if (r.status === 'fulfilled') opened++;
        else failed.push(String(r.reason));
      }
    }
    port.postMessage({ type: 'ready', opened, failed } satisfies FromWorker);
  })();
}

if (parentPort && workerData) main(workerData as SseFleetData);
