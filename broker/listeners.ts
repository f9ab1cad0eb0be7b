import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Logger } from '../core/logger.ts';
import type { ConnectionAccounting } from './connectionAccounting.ts';

export interface ListenerOptions {
  port: number;
  host: string;
  /** An MQTT over TLS listener (8883 by convention) with this certificate. */
  tls?: { port: number; cert: Buffer; key: Buffer } | undefined;
  /** An MQTT over WebSocket listener (path /mqtt), for browsers and some gateways. */
  wsPort?: number | undefined;
  /** The largest WebSocket message (the largest packet any client may send). */
  maxWsPayload: number;
}

export interface Listeners {
  readonly port: number;
  readonly tlsPort: number | null;
  readonly wsPort: number | null;
  close(): void;
}

/**
 * Connections the kernel may hold before we accept them (capped by net.core.somaxconn). Node's
 * default, 511, is overrun when a restarted fleet's SYNs all arrive in the same second; a dropped
 * SYN costs that device a retransmission a second or more later.
 */
const LISTEN_BACKLOG = 4096;

/** The MQTT listeners (TCP, and TLS and WebSocket if asked); each hands its connections to `accept`. */
export async function openListeners(
  opts: ListenerOptions,
  accept: (stream: Duplex, address: string | undefined) => void,
  accounting: ConnectionAccounting,
  log: Logger,
): Promise<Listeners> {
  const onSocket = (socket: Socket) => {
    socket.setNoDelay(true);
    accept(socket, socket.remoteAddress);
  };
  const servers: Array<{ close(cb?: () => void): unknown }> = [];
  const closeAll = () => {
    for (const s of servers) s.close();
  };

  try {
    const server: Server = createServer(onSocket);
    const port = await listen(server, opts.port, opts.host);
    servers.push(server);

    let tlsPort: number | null = null;
    if (opts.tls) {
      const tlsServer = createTlsServer(
        { cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' },
        onSocket,
      );
      tlsServer.on('tlsClientError', () => accounting.refused('tls_handshake'));
      tlsPort = await listen(tlsServer, opts.tls.port, opts.host);
      servers.push(tlsServer);
      log.info({ port: tlsPort }, 'mqtt over TLS listening');
    }

    let wsPort: number | null = null;
    if (opts.wsPort !== undefined) {
      const http = createHttpServer((_req, res) =>
        res.writeHead(426).end('MQTT over WebSocket: connect to /mqtt'),
      );
      const wss = new WebSocketServer({ server: http, path: '/mqtt', maxPayload: opts.maxWsPayload });
      wss.on('connection', (ws, req) => accept(createWebSocketStream(ws), req.socket.remoteAddress));
      wsPort = await listen(http, opts.wsPort, opts.host);
      servers.push(wss, http);
      log.info({ port: wsPort }, 'mqtt over WebSocket listening on /mqtt');
    }
    return { port, tlsPort, wsPort, close: closeAll };
  } catch (err) {
    closeAll();
    throw err;
  }
}

function listen(
  server: { listen: Server['listen']; once: Server['once']; off: Server['off']; address: Server['address'] },
  port: number,
  host: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
