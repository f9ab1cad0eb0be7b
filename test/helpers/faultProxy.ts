import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server that injects faults the way networks
 * and overloaded servers do: pass, slow (every chunk delayed), down
 * (connections refused at once), or an answer of the proxy's own (an HTTP 503
 * or an SMTP 421) instead of the server's. The server behind stays real.
 */
export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'down' }
  | { kind: 'answer'; bytes: string };

export interface FaultProxy {
  port: number;
  url(scheme: string): string;
  set(mode: FaultMode): void;
  close(): Promise<void>;
}

export const HTTP_503 =
  'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';
export const SMTP_421 = '421 4.3.2 Service not available, try again later\r\n';

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let mode: FaultMode = { kind: 'pass' };
  const sockets = new Set<Socket>();
  const delayed = (to: Socket) => (chunk: Buffer) => {
    const m = mode;
    if (m.kind === 'slow') setTimeout(() => to.writable && to.write(chunk), m.delayMs);
    else if (to.writable) to.write(chunk);
  };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const m = mode;
    if (m.kind === 'down') return client.destroy();
    if (m.kind === 'answer') return void client.end(m.bytes);
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', delayed(upstream));
    upstream.on('data', delayed(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    set(next) {
      mode = next;
      // A new fault applies to new connections and cuts the open ones, as a restart or a network change would.
      if (next.kind !== 'pass' && next.kind !== 'slow') for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
