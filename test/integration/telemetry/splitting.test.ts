import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetrySink } from '../../../ingest/telemetry/createTelemetrySink.ts';
import { type InfluxdbServer, startInfluxdb } from '../../helpers/influxdb.ts';
import { captureLogger, doorPoint, tempDir, waitFor } from './support.ts';

/** A test double's server, listening on loopback. */
async function listening(handle: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
/** A sink writing to a test double's server (v2 API), flushing every 10 ms. */
function sinkWritingTo(server: http.Server, batchSize?: number) {
  const { port } = server.address() as AddressInfo;
  return createTelemetrySink(
    {
      url: `http://127.0.0.1:${port}`,
      api: 'v2',
      token: 't',
      org: 'o',
      bucket: 'b',
      spoolDir: tempDir('spool'),
      ...(batchSize === undefined ? {} : { batchSize }),
      flushIntervalMs: 10,
    },
    captureLogger().logger,
  );
}

describe('telemetry sink against a server that limits request bodies (InfluxDB 1.x, 413)', () => {
  let influx: InfluxdbServer;
  beforeAll(async () => {
    influx = await startInfluxdb({ db: 'seals', maxBodySize: 20_000 });
  });
  afterAll(async () => {
    await influx?.close();
  });

  it('splits a batch that is too large until the halves fit, and writes every point', async () => {
    const { logger } = captureLogger();
    const sink = createTelemetrySink(
      {
        url: influx.url,
        api: 'v1',
        db: 'seals',
        spoolDir: tempDir('spool'),
        batchSize: 2000,
        flushIntervalMs: 50,
      },
      logger,
    );
    await sink.start();
    const base = Date.now() - 60_000;
    sink.append(Array.from({ length: 2000 }, (_, n) => doorPoint(n, base)));
    await waitFor(() => sink.stats().queued === 0, 'batch settled');
    await sink.stop();
    const [count] = await influx.query('SELECT count(seq) FROM door');
    expect(count?.values[0]?.[1]).toBe(2000);
    expect(sink.stats()).toMatchObject({ written: 2000, refused: 0 });
  });
});

/**
 * A test double, named as such: no real InfluxDB can be made to answer 429
 * with Retry-After on demand. It answers the first request 429 and records
 * when each request came.
 */
describe('telemetry sink against a rate-limiting server (test double answering 429)', () => {
  let server: http.Server;
  const requests: { at: number; body: string }[] = [];
  beforeAll(async () => {
    server = await listening((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        requests.push({ at: Date.now(), body });
        if (requests.length === 1)
          response.writeHead(429, { 'retry-after': '2' }).end('{"error":"slow down"}');
        else response.writeHead(204).end();
      });
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('waits at least as long as Retry-After asks before it sends again', async () => {
    const sink = sinkWritingTo(server);
    await sink.start();
    sink.append([doorPoint(1, 1_700_000_000_000)]);
    await waitFor(() => sink.stats().written === 1, 'the retried write');
    await sink.stop();
    expect(requests).toHaveLength(2);
    expect(requests[1]!.body).toBe(requests[0]!.body);
    // A lower bound only: a slow machine makes the gap longer, never shorter.
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(sink.stats()).toMatchObject({ retried: 1, written: 1, queued: 0 });
  });
});

/**
 * A test double, named as such: a server that refuses a whole batch for one bad line, writing none of
 * it. InfluxDB 1.x writes the good points of such a batch itself (a partial write), so against it a
 * batch cut in the wrong place could lose or repeat a good point unseen; this one keeps only what it
 * answered 204 for.
 */
describe('telemetry sink against a server that refuses a whole batch for one bad line (test double)', () => {
  let server: http.Server;
  const accepted: string[] = [];
  beforeAll(async () => {
    server = await listening((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const lines = Buffer.concat(chunks).toString('utf8').split('\n');
        if (lines.some((line) => line.includes('S-poison')))
          response.writeHead(400).end('{"error":"unable to parse the batch"}');
        else {
          accepted.push(...lines);
          response.writeHead(204).end();
        }
      });
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('halves a refused batch between lines until each bad line is alone: every good line lands once', async () => {
    const sink = sinkWritingTo(server, 1000);
    await sink.start();
    const base = 1_700_000_000_000;
    const poisoned = [17, 500, 999];
    // Chinese tag values: the halves are cut from the batch's bytes, and must not cut a character.
    sink.append(
      Array.from({ length: 1000 }, (_, n) =>
        poisoned.includes(n) ? doorPoint(n, base, 'S-poison') : doorPoint(n, base, '门磁-1'),
      ),
    );
    await waitFor(() => sink.stats().queued === 0, 'batch settled');
    await sink.stop();
    const seqs = accepted.map((line) => {
      expect(line).toContain('门磁-1');
      return Number(/seq=(\d+)i/.exec(line)?.[1]);
    });
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, n) => n).filter((n) => !poisoned.includes(n)));
    expect(sink.stats()).toMatchObject({ written: 997, refused: 3, queued: 0 });
  });
});
