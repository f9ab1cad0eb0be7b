import type { Client } from 'aedes';
import type { Logger } from '../core/logger.ts';
import type { ConnectionAccounting } from './connectionAccounting.ts';
import type { Identity } from './identity.ts';

/**
 * Keeps the sessions of logged-in devices in step with the registry. A login is checked once, at
 * CONNECT; without this a device taken off the registry, or a gateway whose secret was replaced
 * because it leaked, would keep publishing on the session it already had.
 */
export class DeviceSessions {
  constructor(
    private readonly deps: {
      accounting: ConnectionAccounting;
      identities: WeakMap<Client, Identity>;
      /** This node's connected client with this client id (a device's client id is its id). */
      connectedClient(clientId: string): Client | undefined;
      log: Logger;
    },
  ) {}

  /**
   * Closes this node's sessions of the sensor or gateway `id` (removed, or its secret replaced);
   * returns how many. The device must log in again, with a secret the registry still accepts.
   */
  close(id: string, reason: 'device_removed' | 'secret_replaced'): number {
    let n = 0;
    for (const client of this.sessionsOf(id)) {
      this.deps.accounting.closing(client, reason);
      client.close();
      n++;
    }
    if (n > 0) this.deps.log.info({ deviceId: id, sessions: n, reason }, 'mqtt sessions of a device closed');
    return n;
  }

  /**
   * A gateway's sensor list changed: its live sessions publish for the new list from now on (the
   * ACL reads the list from the session's identity), without dropping the connection and with it
   * the messages in flight of every other sensor behind the gateway.
   */
  updateGatewaySensors(id: string, sensorIds: readonly string[]): number {
    let n = 0;
    for (const client of this.sessionsOf(id)) {
      const identity = this.deps.identities.get(client);
      if (identity?.kind !== 'gateway') continue;
      this.deps.identities.set(client, { ...identity, sensorIds: new Set(sensorIds) });
      n++;
    }
    return n;
  }

  /** A device logs in with client id = its id (authenticator.ts), so it has one session here at most. */
  private sessionsOf(id: string): Client[] {
    const client = this.deps.connectedClient(id);
    const identity = client && this.deps.identities.get(client);
    return client && (identity?.kind === 'sensor' || identity?.kind === 'gateway') && identity.id === id
      ? [client]
      : [];
  }
}
