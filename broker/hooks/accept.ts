import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import type { Logger } from '../../core/logger.ts';
import { lightenParserBuffer } from '../aedesInternals.ts';
import type { ConnectionAccounting } from '../connectionAccounting.ts';
import type { NewestConnections } from '../newestConnections.ts';
import { guardConnections, packetGuardOf } from '../packetGuard.ts';
import type { RetainedOrder } from '../retainedOrder.ts';

export interface AcceptDeps {
  aedes: Aedes;
  /** Until a client logs in as a gateway or service client. */
  maxPacketSize: number;
  accounting: ConnectionAccounting;
  retainedOrder: RetainedOrder;
  newestConnections: NewestConnections;
  log: Logger;
}

/**
 * A new connection from any listener, before its first packet: the packet guard on its reads
 * (the CONNECT hook finds it again with `packetGuardOf(client.conn)`), Aedes' client on the
 * stream, and a lighter buffer in that client's packet parser. (The QoS cap is put on at the first
 * granted subscription: hooks/subscribe.ts.)
 */
export function acceptConnections(deps: AcceptDeps): (stream: Duplex, address: string | undefined) => void {
  const { accounting, log } = deps;
  const guardOn = guardConnections((g, violation) => {
    accounting.refused(violation);
    accounting.closed(violation);
    log.debug({ address: g.remoteAddress, violation }, 'mqtt connection closed by packet guard');
  });
  // One listener for every connection's 'close' (a closure and a `once` wrapper each cost heap per
  // connection); it finds the client through the guard.
  function connectionClosed(this: Duplex): void {
    const client = packetGuardOf(this)?.reader as Client | undefined;
    if (!client) return;
    accounting.connectEnded(client);
    deps.retainedOrder.closed(client);
    deps.newestConnections.closed(client);
  }
  return (stream, address) => {
    accounting.stats.connectionsOpened++;
    const guard = guardOn(stream, address, deps.maxPacketSize);
    const client = deps.aedes.handle(stream);
    guard.reader = client;
    lightenParserBuffer(client);
    stream.on('close', connectionClosed);
  };
}
