import type { Client } from 'aedes';
import type { RedisStats } from './cluster.ts';

export interface BrokerStats {
  connected: number;
  connectionsOpened: number;
  refused: Record<string, number>;
  closed: Record<string, number>;
  /** With REDIS_URL only. */
  redis?: RedisStats;
  /**
   * Single node only: QoS > 0 messages whose offline-queue lookup was skipped (broker/offlineLookup.ts).
   * It stops growing for good once a persistent session subscribes; from then on every message pays
   * for the lookup.
   */
  offlineLookupsSkipped?: number;
}

/**
 * The broker's counters (for /metrics): connections opened and connected, what was refused and
 * why, how connections ended and why. Whoever closes a connection, or refuses its CONNECT, notes
 * the reason here first, so that the end of the connection (Aedes' `clientDisconnect`, which
 * knows no reason) is counted under it.
 */
export class ConnectionAccounting {
  readonly stats: BrokerStats = { connected: 0, connectionsOpened: 0, refused: {}, closed: {} };
  private readonly closeReasons = new WeakMap<Client, string>();
  /** From CONNECT received (preConnect) to CONNACK sent or the connection closed; O(1) either way. */
  private readonly connecting = new Set<Client>();

  refused(reason: string): void {
    count(this.stats.refused, reason);
  }

  closed(reason: string): void {
    count(this.stats.closed, reason);
  }

  /** The broker is closing this connection (or refusing its CONNECT) for `reason`. */
  closing(client: Client, reason: string): void {
    this.closeReasons.set(client, reason);
  }

  /** Like `closing`, unless a reason is noted already (an error often follows the broker's own close). */
  closingIfFirst(client: Client, reason: string): void {
    if (!this.closeReasons.has(client)) this.closeReasons.set(client, reason);
  }

  closeReason(client: Client): string | undefined {
    return this.closeReasons.get(client);
  }

  connectStarted(client: Client): void {
    this.connecting.add(client);
  }

  /** CONNACK sent, or the connection closed before. */
  connectEnded(client: Client): void {
    this.connecting.delete(client);
  }

  /** CONNECTs received whose CONNACK is not sent yet. */
  pendingConnects(): number {
    return this.connecting.size;
  }
}

function count(bucket: Record<string, number>, reason: string): void {
  bucket[reason] = (bucket[reason] ?? 0) + 1;
}
