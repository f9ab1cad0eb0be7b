import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * Starting the real servers tests and benchmarks need (influxd,
 * victoria-metrics, mosquitto …): find the binary, get a free port, spawn it
 * and wait until it answers, stop it.
 */
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

/** Where the kernel takes source ports of outgoing connections from (Linux default 32768–60999). */
function ephemeralPortsStart(): number {
  try {
    const start = Number(
      fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(start) && start > 11_000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}
const PORTS_FROM = 10_000;
const PORTS_BELOW = ephemeralPortsStart();

function canListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : null));
    });
  });
}

/**
 * Ports of parallel test files never meet: each vitest worker (VITEST_POOL_ID 1, 2, …: the files
 * running at one time are in different workers) draws from its own slice of the range. With one
 * shared range, two files now and then drew the same free port within the second between the check
 * and their servers' bind (EADDRINUSE at a service's first start, with four workers). Outside
 * vitest (benchmarks) the whole range is drawn from.
 */
const SLICES = 8;
function portSlice(): { from: number; size: number } {
  const worker = Number(process.env.VITEST_POOL_ID);
  const whole = PORTS_BELOW - PORTS_FROM;
  if (!Number.isInteger(worker) || worker < 1) return { from: PORTS_FROM, size: whole };
  const size = Math.floor(whole / SLICES);
  return { from: PORTS_FROM + ((worker - 1) % SLICES) * size, size };
}
/**
 * Ports fetch() (undici) and Chromium refuse to connect to ("bad port", the Fetch Standard's port
 * blocking, https://fetch.spec.whatwg.org/#port-blocking): of its list, the one at or above
 * PORTS_FROM. A service given it answered every test's fetch with "bad port" (CI, csv.test.ts).
 */
const FETCH_BLOCKED_PORTS = new Set([10080]);
/** Handed out by this process already: a port is given once, even before its server binds it. */
const handedOut = new Set<number>();

/**
 * A port for a server a test starts later (mosquitto, InfluxDB, PostgreSQL…). Not one the kernel
 * picks for `listen(0)`: that comes from the ephemeral range, where every outgoing connection of
 * the parallel test files also takes its source port, and one of them took a port between our check
 * and the server's bind ("Address already in use", seen in CI). A random free port below that range
 * is only ever taken by another listener.
 */
export async function freePort(): Promise<number> {
  const { from, size } = portSlice();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * size);
    if (handedOut.has(port) || FETCH_BLOCKED_PORTS.has(port)) continue;
    const free = await canListen(port);
    if (free === null) continue;
    handedOut.add(free);
    return free;
  }
  const any = await canListen(0);
  if (any === null) throw new Error('no free port on 127.0.0.1');
  return any;
}

async function waitUntil(
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

/** Spawns a server and resolves once `ready` says it answers; fails with its last output if it exits or stalls. */
export async function spawnUntilReady(
  binary: string,
  args: readonly string[],
  opts: { what: string; ready: () => Promise<boolean>; timeoutMs?: number },
): Promise<ChildProcess> {
  let output = '';
  const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  await waitUntil(opts.ready, proc, () => `${opts.what} did not answer:\n${output}`, opts.timeoutMs);
  return proc;
}
