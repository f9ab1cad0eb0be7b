/**
 * Memory per MQTT connection of one broker, in its own process: `bare` (Aedes with no hooks,
 * in-memory) or `ours` (createBroker: packet guard, hooks, patches; every login and publish
 * accepted by stand-ins, so only the broker's own memory is counted). Before and after N seal-like
 * connections (bench/lib/connectionMemoryClients.ts, another process; after a warm-up round of 200
 * that has closed again) it forces two full GCs and
 * reads the live V8 heap (heapUsed) and RSS; prints one JSON line. Heap after GC is what the
 * connections keep alive; RSS adds the room V8 keeps between collections and native buffers.
 *
 * node --import tsx bench/lib/connectionMemoryProbe.ts bare|ours N [extra node flags are the caller's]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Aedes } from 'aedes';
import type { Authenticator } from '../../broker/authenticator.ts';
import { createBroker } from '../../broker/createBroker.ts';
import { createLogger } from '../../core/logger.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const [kind, n] = [process.argv[2], Number(process.argv[3] ?? 2000)];
const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 2 ** 20;

async function settle(): Promise<{ heap: number; rss: number }> {
  await sleep(500);
  gc();
  await sleep(100);
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

async function startBroker(): Promise<{ port: number; close(): Promise<void> }> {
  if (kind === 'bare') {
    const aedes = await Aedes.createBroker();
    const server = createServer(aedes.handle);
    server.listen(0, '127.0.0.1', 4096);
    await once(server, 'listening');
    const address = server.address();
    return {
      port: typeof address === 'object' && address ? address.port : 0,
      close: async () => {
        server.close();
        await new Promise<void>((r) => aedes.close(() => r()));
      },
    };
  }
  const authenticator = {
    authenticate: async (clientId: string) => ({ ok: true, identity: { kind: 'sensor', id: clientId } }),
    forget() {},
  } as unknown as Authenticator;
  const broker = await createBroker({
    port: 0,
    host: '127.0.0.1',
    maxPacketSize: 4096,
    authenticator,
    onPublish: async () => ({ accepted: true }),
    mayRead: () => false,
    logger: createLogger('silent'),
  });
  return { port: broker.port, close: () => broker.close() };
}

/** Runs the client process with `count` connections until all are in; `hold` keeps it running. */
async function clientsIn(count: number): Promise<ChildProcess> {
  const clients = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'connectionMemoryClients.ts'), String(broker.port), String(count)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    clients.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve();
    });
    clients.once('exit', (code) => reject(new Error(`clients exited with ${code}`)));
  });
  return clients;
}

const broker = await startBroker();
// A warm-up round first, gone before the idle reading: what the first connections set up once
// (mqtt-packet's cache of 65,536 two-byte Buffers at its first write, 6 MB; compiled code) is not
// per connection.
const warmUp = await clientsIn(200);
warmUp.kill('SIGKILL');
await sleep(1_000);
const idle = await settle();
const clients = await clientsIn(n);
const full = await settle();
clients.kill('SIGKILL');
await broker.close();
const perThousand = (bytes: number) => Math.round(((bytes / n) * 1000 * 10) / MiB) / 10;
process.stdout.write(
  `${JSON.stringify({
    kind,
    n,
    flags: process.execArgv.filter((a) => a !== '--import' && a !== 'tsx'),
    heapPerConnectionBytes: Math.round((full.heap - idle.heap) / n),
    heapMiBPer1000: perThousand(full.heap - idle.heap),
    rssMiBPer1000: perThousand(full.rss - idle.rss),
    heapMiB: [Math.round(idle.heap / MiB), Math.round(full.heap / MiB)],
    rssMiB: [Math.round(idle.rss / MiB), Math.round(full.rss / MiB)],
  })}\n`,
);
process.exit(0);
