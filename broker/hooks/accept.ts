import type { Duplex } from 'node:stream';
import type { Aedes } from 'aedes';
import type { Logger } from '../../core/logger.ts';
import type { ConnectionAccounting } from '../connectionAccounting.ts';
import { guardConnections } from '../packetGuard.ts';
import type { RetainedOrder } from '../retainedOrder.ts';

export interface AcceptDeps {
  aedes: Aedes;
  /** Until a client logs in as a gateway or service client. */
  maxPacketSize: number;
  accounting: ConnectionAccounting;
  retainedOrder: RetainedOrder;
  log: Logger;
}

/**
 * A new connection from any listener, before its first packet: the packet guard on its reads
 * (the CONNECT hook finds it again with `packetGuardOf(client.conn)`) and Aedes' client on the
 * stream. (The QoS cap is put on at the first granted subscription: hooks/subscribe.ts.)
 */
export function acceptConnections(deps: AcceptDeps): (stream: Duplex, address: string | undefined) => void {
  const { accounting, log } = deps;
  const guard = guardConnections((g, violation) => {
    accounting.refused(violation);
    accounting.closed(violation);
    log.debug({ address: g.remoteAddress, violation }, 'mqtt connection closed by packet guard');
  });
  return (stream, address) => {
    accounting.stats.connectionsOpened++;
    guard(stream, address, deps.maxPacketSize);
    const client = deps.aedes.handle(stream);
    stream.once('close', () => {
      accounting.connectEnded(client);
      deps.retainedOrder.closed(client);
    });
  };
}
