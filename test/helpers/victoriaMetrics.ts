import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, killAndWait, requireBinary, spawnUntilReady } from './serverProcess.ts';

/**
 * A real VictoriaMetrics (Debian's victoria-metrics 1.79) on 127.0.0.1. It
 * takes InfluxDB line protocol on /write and /api/v2/write and stores each
 * field as the series `<measurement>_<field>`, tags as labels, booleans as 1/0.
 */

export interface VictoriaMetricsOptions {
  /** Keeps one sample per series and millisecond, as InfluxDB does for a re-sent point. */
  dedup?: boolean;
}

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export interface VictoriaMetricsServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The running server's process id (null while stopped): benches read its CPU time from /proc. */
  readonly pid: number | null;
  /** Makes recently written samples visible to queries. */
  flush(): Promise<void>;
  /** Flushes, then exports the series matching a selector (e.g. `{__name__="door_open"}`). */
  export(selector: string): Promise<ExportedSeries[]>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startVictoriaMetrics(
  options: VictoriaMetricsOptions = {},
): Promise<VictoriaMetricsServer> {
  const binary = requireBinary('victoria-metrics', 'victoria-metrics');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealwatch-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `-httpListenAddr=127.0.0.1:${port}`,
    `-storageDataPath=${dataDir}`,
    '-retentionPeriod=100y',
    '-loggerLevel=ERROR',
    '-search.disableCache',
    ...(options.dedup ? ['-dedup.minScrapeInterval=1ms'] : []),
  ];
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    child = await spawnUntilReady(binary, args, {
      what: `victoria-metrics on ${url}`,
      ready: async () => (await fetch(`${url}/health`).catch(() => null))?.status === 200,
    });
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = null;
    if (proc) await killAndWait(proc);
  }

  await start();
  const server: VictoriaMetricsServer = {
    url,
    port,
    dataDir,
    get pid() {
      return child?.pid ?? null;
    },
    async flush() {
      const response = await fetch(`${url}/internal/force_flush`);
      if (!response.ok) throw new Error(`victoria-metrics force_flush failed: ${response.status}`);
    },
    async export(selector) {
      await server.flush();
      const query = new URLSearchParams({ 'match[]': selector });
      const response = await fetch(`${url}/api/v1/export?${query}`);
      const text = await response.text();
      if (!response.ok) throw new Error(`victoria-metrics export failed (${response.status}): ${text}`);
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as ExportedSeries);
    },
    stop,
    start,
    async close() {
      await stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
