/**
 * Starts the real service as a child process, as `npm start` runs it
 * (`node dist/main.js`, built by test/setup/buildService.ts),
 * on free ports and a temporary DATA_DIR, so tests can talk MQTT and HTTP to
 * it, kill -9 it and restart it on the same ports and data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SERVICE_NODE_FLAGS } from '../../app/nodeFlags.ts';
import { freePort } from './serverProcess.ts';

const ROOT = resolve(import.meta.dirname, '../..');

// biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  /** Response headers, names in lower case. */
  headers: Record<string, string>;
}

export interface RunningService {
  httpUrl: string;
  mqttUrl: string;
  httpPort: number;
  mqttPort: number;
  adminToken: string;
  dataDir: string;
  /** The service process id (changes on restart). */
  readonly pid: number;
  /** Every log line the service printed, parsed (JSON) or raw. */
  logs: Array<Record<string, unknown> | string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
  api<T = any>(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiAnswer<T>>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to flush anything. */
  kill(): Promise<void>;
  /** Start again on the same ports and DATA_DIR. */
  restart(): Promise<void>;
  /** Resolves when a log line matches. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

export interface StartOptions {
  dataDir?: string;
  env?: Record<string, string>;
  /** Keep DATA_DIR after stop (default: removed by cleanup()). */
  keepData?: boolean;
  /** Extra Node.js options for the service process (e.g. `--cpu-prof`, not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** The service's own Node.js options (default: app/nodeFlags.ts's, as `npm start` gives them). */
  nodeFlags?: readonly string[];
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startService(
  options: StartOptions = {},
): Promise<RunningService & { cleanup(): Promise<void> }> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sealwatch-test-'));
  const logs: RunningService['logs'] = [];
  const waiters = new Set<{
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }>();
  let child: ChildProcess | null = null;
  // Ports chosen before the first start, below the kernel's ephemeral range (freePort): a restart
  // binds the same ports again, and a port the kernel picked for listen(0) can be taken meanwhile as
  // the source port of any outgoing connection of a parallel test file ("EADDRINUSE" on restart, CI).
  let ports = { http: await freePort(), mqtt: await freePort() };

  const launch = async () => {
    const logsBefore = logs.length;
    const proc = spawn(
      process.execPath,
      [...(options.nodeFlags ?? SERVICE_NODE_FLAGS), ...(options.nodeArgs ?? []), join(ROOT, 'dist/main.js')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          HTTP_PORT: String(ports.http),
          MQTT_PORT: String(ports.mqtt),
          HTTP_HOST: '127.0.0.1',
          MQTT_HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
          // Under vitest every JSON answer is checked against its declared schema (api/responseCheck.ts):
          // a field the schema would drop or coerce is a 500 in the test that reads it. Benches run
          // without the check, as production does.
          ...(process.env.VITEST ? { API_VERIFY_RESPONSES: 'true' } : {}),
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = proc;
    running.add(proc);
    proc.on('exit', () => running.delete(proc));
    const onLine = (line: string) => {
      let parsed: Record<string, unknown> | string = line;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        // Not JSON (a Node warning): kept as text.
      }
      logs.push(parsed);
      if (typeof parsed === 'object') {
        for (const w of waiters) {
          if (w.match(parsed)) {
            waiters.delete(w);
            w.resolve(parsed);
          }
        }
      }
    };
    createInterface({ input: proc.stdout! }).on('line', onLine);
    createInterface({ input: proc.stderr! }).on('line', onLine);

    const ready = await Promise.race([
      waitForLog((l) => l.msg === 'SealWatch ready', 30_000, logsBefore),
      new Promise<never>((_, reject) =>
        proc.once('exit', (code) =>
          reject(
            new Error(
              `service exited with ${code} before ready:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`,
            ),
          ),
        ),
      ),
    ]);
    // No embedded broker with MQTT_URL: mqttPort is null.
    ports = { http: ready.httpPort as number, mqtt: (ready.mqttPort as number | null) ?? 0 };
  };

  const waitForLog = (match: (l: Record<string, unknown>) => boolean, timeoutMs = 10_000, since = 0) => {
    const seen = logs.slice(since).find((l) => typeof l === 'object' && match(l));
    if (seen && typeof seen === 'object') return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolvePromise, reject) => {
      const waiter = { match, resolve: resolvePromise };
      waiters.add(waiter);
      setTimeout(() => {
        if (waiters.delete(waiter)) reject(new Error(`no matching log line within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
  };

  const exited = (proc: ChildProcess) =>
    new Promise<number | null>((r) =>
      proc.exitCode !== null || proc.signalCode !== null
        ? r(proc.exitCode)
        : proc.once('exit', (code) => r(code)),
    );

  await launch();
  const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();

  const service: RunningService & { cleanup(): Promise<void> } = {
    get httpUrl() {
      return `http://127.0.0.1:${ports.http}`;
    },
    get mqttUrl() {
      return `mqtt://127.0.0.1:${ports.mqtt}`;
    },
    get httpPort() {
      return ports.http;
    },
    get mqttPort() {
      return ports.mqtt;
    },
    get pid() {
      return child?.pid ?? 0;
    },
    adminToken,
    dataDir,
    logs,
    waitForLog,
    async api(method, path, body, token = adminToken) {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`http://127.0.0.1:${ports.http}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Plain text (metrics).
      }
      // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
      return { status: res.status, body: parsed as any, headers: Object.fromEntries(res.headers) };
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
      child.kill('SIGTERM');
      return exited(child);
    },
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited(child);
    },
    async restart() {
      await service.stop();
      await launch();
    },
    async cleanup() {
      if (child) {
        child.kill('SIGKILL');
        await exited(child);
      }
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return service;
}

/** Register a grid node, household, active quarantine and sensor; returns the sensor's secret. */
export async function provisionArmedSensor(
  svc: RunningService,
  ids: { grid?: string; household?: string; sensor: string; model?: string },
): Promise<{ sensorId: string; secret: string; householdId: string; gridId: string }> {
  const gridId = ids.grid ?? `g-${ids.sensor}`;
  const householdId = ids.household ?? `h-${ids.sensor}`;
  const grid = await svc.api('GET', `/api/grid?limit=10000`);
  if (!grid.body.items.some((n: { id: string }) => n.id === gridId)) {
    expectStatus(
      await svc.api('POST', '/api/grid', { id: gridId, name: gridId, parentId: null, level: 'county' }),
      201,
    );
  }
  expectStatus(
    await svc.api('POST', '/api/households', { id: householdId, gridId, address: `${householdId} address` }),
    201,
  );
  expectStatus(
    await svc.api('POST', '/api/quarantines', {
      householdId,
      start: new Date(Date.now() - 3_600_000).toISOString(),
    }),
    201,
  );
  const sensor = expectStatus(
    await svc.api('POST', '/api/sensors', {
      id: ids.sensor,
      householdId,
      ...(ids.model ? { model: ids.model } : {}),
    }),
    201,
  );
  return { sensorId: ids.sensor, secret: sensor.body.secret as string, householdId, gridId };
}

function expectStatus(answer: ApiAnswer, status: number): ApiAnswer {
  if (answer.status !== status)
    throw new Error(`expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer;
}
