import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, killAndWait, requireBinary, spawnUntilReady } from './serverProcess.ts';

/**
 * A real redis-server (Debian's) on 127.0.0.1, on a free port, in a
 * temporary directory with the append-only file on and RDB snapshots off.
 * `stop()` and `start()` simulate an outage on the same port and data.
 */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Sends one command (inline protocol) and returns the raw reply. */
  command(...args: string[]): Promise<string>;
  /** Kills the server (SIGTERM: it writes its append-only file); the directory stays. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const binary = requireBinary('redis-server', 'redis-server');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealwatch-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
  ];
  let child: ChildProcess | null = null;

  const command = (...parts: string[]) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      let reply = '';
      socket.setTimeout(2_000, () => socket.destroy(new Error('redis did not answer')));
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        reply += chunk.toString();
        if (reply.endsWith('\r\n')) {
          socket.end();
          resolve(reply.trimEnd());
        }
      });
      const encoded = parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('');
      socket.write(`*${parts.length}\r\n${encoded}`);
    });

  const start = async () => {
    child = await spawnUntilReady(binary, args, {
      what: `redis-server on 127.0.0.1:${port}`,
      ready: async () => (await command('PING').catch(() => '')) === '+PONG',
    });
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const proc = child;
    child = null;
    if (proc) await killAndWait(proc, signal);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    command,
    stop,
    start,
    async close() {
      await stop('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
