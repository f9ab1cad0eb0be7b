import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

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
  let output = '';

  async function start(): Promise<void> {
    output = '';
    const proc = spawn(binary, ['-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    await waitUntil(
      async () => (await fetch(`${url}/ping`).catch(() => null))?.status === 204,
      proc,
      () => `influxd did not answer /ping on ${url}:\n${output}`,
    );
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

/** The binary's full path, or an error naming it and the Debian package that brings it. */
export function requireBinary(name: string, debianPackage: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `${name} is not installed (not on PATH): install the Debian package '${debianPackage}' (test/setup/install-deps.sh does)`,
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function waitUntil(
  ready: () => Promise<boolean>,
  proc: ChildProcess,
  describe: () => string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`exited early. ${describe()}`);
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`not ready after ${timeoutMs} ms. ${describe()}`);
}

export async function killAndWait(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
