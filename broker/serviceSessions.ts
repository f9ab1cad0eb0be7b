import type { Client } from 'aedes';
import { atTime, type Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { ConnectionAccounting } from './connectionAccounting.ts';
import type { Identity } from './identity.ts';

/**
 * The MQTT sessions of service clients, which log in with an API token: a session ends when its
 * token expires (an expired token is refused at CONNECT already; this ends a session it opened
 * before) or is revoked.
 */
export class ServiceSessions {
  private readonly expiryTimers = new WeakMap<Client, () => void>();

  constructor(
    private readonly deps: {
      clock: Clock;
      accounting: ConnectionAccounting;
      identities: WeakMap<Client, Identity>;
      /** This node's connected clients. */
      connectedClients(): Iterable<Client>;
      log: Logger;
    },
  ) {}

  /** At Aedes' `clientReady`. */
  started(client: Client, identity: Identity | undefined): void {
    if (identity?.kind !== 'service' || identity.expiresAt === null) return;
    const cancel = atTime(this.deps.clock, identity.expiresAt, () => {
      this.deps.accounting.closing(client, 'token_expired');
      client.close();
    });
    this.expiryTimers.set(client, cancel);
  }

  /** At Aedes' `clientDisconnect`. */
  ended(client: Client): void {
    this.expiryTimers.get(client)?.();
  }

  /** Closes this node's sessions of the API token `tokenId` (revoked); returns how many. */
  closeToken(tokenId: string): number {
    let n = 0;
    for (const client of this.deps.connectedClients()) {
      const identity = this.deps.identities.get(client);
      if (identity?.kind !== 'service' || identity.tokenId !== tokenId) continue;
      this.deps.accounting.closing(client, 'token_revoked');
      client.close();
      n++;
    }
    if (n > 0) this.deps.log.info({ tokenId, sessions: n }, 'mqtt sessions of a revoked token closed');
    return n;
  }
}
