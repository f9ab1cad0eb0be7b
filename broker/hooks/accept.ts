import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import type { Logger } from '../../core/logger.ts';
import type { DeliveredQosCap } from '../aedesPatches.ts';
import type { ConnectionAccounting } from '../connectionAccounting.ts';
import { type GuardViolation, PacketGuard } from '../packetGuard.ts';
import type { RetainedOrder } from '../retainedOrder.ts';

export interface AcceptDeps {
  aedes: Aedes;
  /** Until a client logs in as a gateway or service client. */
  maxPacketSize: number;
  /** Filled here; the CONNECT hook reads it. */
  guards: WeakMap<Client, PacketGuard>;
  accounting: ConnectionAccounting;
  qosCap: DeliveredQosCap;
  retainedOrder: RetainedOrder;
  log: Logger;
}

/**
 * A new connection from any listener, before its first packet: the packet guard in front, Aedes'
 * client behind it, and the per-connection patch that must be in place before the first
 * SUBSCRIBE.
 */
export function acceptConnections(deps: AcceptDeps): (stream: Duplex, address: string | undefined) => void {
  const { accounting, log } = deps;
  return (stream, address) => {
    accounting.stats.connectionsOpened++;
    const guard = new PacketGuard(stream, address, deps.maxPacketSize, (violation: GuardViolation) => {
      accounting.refused(violation);
      accounting.closed(violation);
      log.debug({ address, violation }, 'mqtt connection closed by packet guard');
    });
    const client = deps.aedes.handle(guard);
    deps.qosCap.wrap(client);
    deps.guards.set(client, guard);
    guard.once('close', () => {
      accounting.connectEnded(client);
      deps.retainedOrder.closed(client);
    });
  };
}
