import { execFile } from 'node:child_process';
import { type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../helpers/metrics.ts';
import { type RunningService, startService } from '../../helpers/service.ts';

const root = join(import.meta.dirname, '../../..');

/**
 * In a fresh process (the flags and the heap are the process's): a heap like a login storm's, long-lived
 * objects spread among garbage over many pages, then the compacting collection. Prints V8's committed
 * and used heap after it, and the committed heap before it.
 */
const child = `
  const { heapCompactor } = await import(${JSON.stringify(join(root, 'app/memory/compactHeap.ts'))});
  // Garbage that lives through a few young collections (a login's) is promoted among the survivors.
  const kept = [];
  let ring = new Array(100_000);
  let k = 0;
  for (let i = 0; i < 600_000; i++) {
    kept.push({ id: i, name: 'seal-' + i, window: [i, i, i, i] });
    for (let j = 0; j < 10; j++) ring[k++ % ring.length] = { topic: 'x' + j + i, fields: [i, j] };
  }
  ring = null;
  const compactor = heapCompactor();
  if ('unavailable' in compactor) throw new Error(compactor.unavailable);
  const c = compactor.compact();
  console.log(JSON.stringify({ before: c.before.heapTotal, after: c.after.heapTotal, used: c.after.heapUsed, pauseMs: c.pauseMs, kept: kept.length }));
`;

describe('the compacting collection', () => {
  it('gives back the pages that garbage spread among live objects had filled', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', child],
      { cwd: root, timeout: 60_000 },
    );
    const heap = JSON.parse(stdout.trim()) as {
      before: number;
      after: number;
      used: number;
      pauseMs: number;
    };
    // Measured with this heap (about 103 MiB live, 340-390 MiB committed before): 136-138 MiB committed
    // after the compacting collection; 222-381 MiB after a plain one (the same without the flag), which V8
    // compacts only in part, by its own budget. Without the flag this test fails (tried).
    // How far V8 grows the heap first depends on the machine's load (about 200 MiB on a loaded CI
    // machine, where "after < before × 0.6" failed once with 144 MiB after): the test asks that it grew
    // past what a compacted heap needs, so that there was something to give back, and that it was.
    expect(heap.before).toBeGreaterThan(heap.used * 1.6);
    expect(heap.after).toBeLessThan(heap.used * 1.6);
    expect(heap.pauseMs).toBeGreaterThan(0);
  });
});

describe('the service after a burst of logins', () => {
  let svc: RunningService & { cleanup(): Promise<void> };
  let quiet: RunningService & { cleanup(): Promise<void> };
  const sockets: Socket[] = [];
  const openConnections = async (port: number, n: number) => {
    for (let k = 0; k < n; k++) {
      const socket = tcpConnect(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      sockets.push(socket);
    }
  };

  beforeAll(async () => {
    // Five connections make a burst here; the second service never compacts.
    [svc, quiet] = await Promise.all([
      startService({ env: { MEMORY_RELEASE_AFTER_LOGINS: '5' } }),
      startService({ env: { MEMORY_RELEASE_AFTER_LOGINS: '0' } }),
    ]);
  }, 60_000);
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all([svc?.cleanup(), quiet?.cleanup()]);
  });

  it('compacts its heap once, when the burst is over, logs it and counts it in /metrics', async () => {
    // Connections count from the TCP accept: a storm of CONNECTs refused or not yet sent grows the heap too.
    await openConnections(svc.mqttPort, 6);
    const line = await svc.waitForLog((l) => l.msg === 'gave back the memory of a login burst', 10_000);
    expect(line).toMatchObject({ component: 'memory', connections: 6 });
    expect(line.pauseMs).toEqual(expect.any(Number));
    const [usedBefore, usedAfter] = line.heapUsedMiB as [number, number];
    expect(usedAfter).toBeLessThanOrEqual(usedBefore);
    const metrics = (await svc.api('GET', '/metrics')).body as string;
    expect(metricValue(metrics, 'sealwatch_memory_release', { counter: 'releases' })).toBe(1);
    expect(metricValue(metrics, 'sealwatch_memory_release', { counter: 'last_pause_ms' })).toBe(line.pauseMs);

    // Fewer logins than the minimum later: no second compaction.
    await openConnections(svc.mqttPort, 4);
    await new Promise((r) => setTimeout(r, 3_500));
    const again = (await svc.api('GET', '/metrics')).body as string;
    expect(metricValue(again, 'sealwatch_memory_release', { counter: 'releases' })).toBe(1);
  }, 30_000);

  it('with MEMORY_RELEASE_AFTER_LOGINS=0 never compacts, and /metrics leaves the figures out', async () => {
    await openConnections(quiet.mqttPort, 6);
    await new Promise((r) => setTimeout(r, 3_500));
    const metrics = (await quiet.api('GET', '/metrics')).body as string;
    expect(metrics).not.toMatch(/^sealwatch_memory_release\{/m);
    expect(quiet.logs.some((l) => typeof l === 'object' && l.component === 'memory')).toBe(false);
  }, 30_000);
});
