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
