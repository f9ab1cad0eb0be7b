import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, killAndWait, requireBinary, spawnUntilReady } from './serverProcess.ts';

/**
 * A real InfluxDB 1.x (Debian's influxd) on 127.0.0.1, in a temporary
 * directory, with every other listener bound to loopback or disabled.
 * `stop()` and `start()` simulate an outage on the same port and data.
 */

export interface InfluxdbOptions {
  db?: string;
  /** Turns on authentication and creates this admin user. */
  auth?: { username: string; password: string };
  /** The largest write body in bytes; a larger one is answered 413. */
  maxBodySize?: number;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface InfluxdbServer {
  readonly url: string;
  readonly port: number;
  readonly db: string;
  readonly dataDir: string;
  /** Runs InfluxQL through /query and returns the first statement's series. */
  query(influxql: string): Promise<InfluxSeries[]>;
  /** Rows of `SELECT * FROM <measurement>` as objects, oldest first (time in epoch ms). */
  rows(measurement: string): Promise<Record<string, unknown>[]>;
  /** Kills the server (an outage); the data directory stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

export async function startInfluxdb(options: InfluxdbOptions = {}): Promise<InfluxdbServer> {
  const binary = requireBinary('influxd', 'influxdb');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealwatch-influxd-'));
  const port = await freePort();
  const rpcPort = await freePort();
  const db = options.db ?? 'sealwatch';
  const configFile = path.join(dataDir, 'influxdb.conf');
  fs.writeFileSync(
    configFile,
    influxdConfig(dataDir, port, rpcPort, options.auth !== undefined, options.maxBodySize),
  );

  const url = `http://127.0.0.1:${port}`;
  const headers: Record<string, string> = options.auth
    ? {
        authorization: `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`,
      }
    : {};
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    child = await spawnUntilReady(binary, ['-config', configFile], {
      what: `influxd on ${url}`,
      ready: async () => (await fetch(`${url}/ping`).catch(() => null))?.status === 204,
    });
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = null;
    if (proc) await killAndWait(proc);
  }

  async function postQuery(q: string, extraHeaders: Record<string, string> = headers): Promise<unknown> {
    const response = await fetch(`${url}/query`, {
      method: 'POST',
      headers: { ...extraHeaders, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ q, db, epoch: 'ms' }),
    });
    const body = (await response.json()) as { error?: string; results?: { error?: string }[] };
    const error = body.error ?? body.results?.find((r) => r.error)?.error;
    if (!response.ok || error)
      throw new Error(`influxd query failed (${response.status}): ${error ?? ''} — ${q}`);
    return body;
  }

  await start();
  if (options.auth) {
    // With no user yet, influxd lets exactly this statement through unauthenticated.
    await postQuery(
      `CREATE USER "${options.auth.username}" WITH PASSWORD '${options.auth.password}' WITH ALL PRIVILEGES`,
      {},
    );
  }
  await postQuery(`CREATE DATABASE "${db}"`);

  const server: InfluxdbServer = {
    url,
    port,
    db,
    dataDir,
    async query(influxql) {
      const body = (await postQuery(influxql)) as { results: { series?: InfluxSeries[] }[] };
      return body.results[0]?.series ?? [];
    },
    async rows(measurement) {
      const series = await server.query(`SELECT * FROM "${measurement}" ORDER BY time ASC`);
      const first = series[0];
      if (!first) return [];
      return first.values.map((values) =>
        Object.fromEntries(first.columns.map((column, i) => [column, values[i]])),
      );
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

function influxdConfig(
  dir: string,
  port: number,
  rpcPort: number,
  auth: boolean,
  maxBodySize = 25_000_000,
): string {
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${dir}/meta"
  logging-enabled = false

[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  auth-enabled = ${auth}
  log-enabled = false
  max-body-size = ${maxBodySize}

[ifql]
  enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false

[logging]
  level = "warn"
`;
}

export { freePort };
