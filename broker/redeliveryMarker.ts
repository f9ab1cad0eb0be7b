/**
 * Aedes resends a persistent session's unacknowledged QoS 1 messages after a
 * reconnect with DUP = 0; MQTT-3.3.1-1 wants DUP = 1 on a redelivery. A
 * message forwarded to the same client id a second time is a redelivery.
 * With REDIS_URL the keys are also kept in Redis (merged in at CONNECT), so
 * the resend is marked on whichever node the session comes back to.
 */
export class RedeliveryMarker {
  private readonly seen = new Map<string, Set<string>>();
  private static readonly PER_CLIENT = 1024;

  /** Sets DUP on a resend; returns the message's key on its first send, null on a resend. */
  mark(
    clientId: string,
    packet: { brokerId?: string; brokerCounter?: number; dup?: boolean },
  ): string | null {
    const key = `${packet.brokerId}:${packet.brokerCounter}`;
    const keys = this.keysOf(clientId);
    if (keys.has(key)) {
      packet.dup = true;
      return null;
    }
    this.add(keys, key);
    return key;
  }

  /** Keys sent to this client id elsewhere, oldest first. */
  merge(clientId: string, sent: readonly string[]): void {
    const keys = this.keysOf(clientId);
    for (const key of sent) this.add(keys, key);
  }

  private keysOf(clientId: string): Set<string> {
    let keys = this.seen.get(clientId);
    if (!keys) {
      keys = new Set();
      this.seen.set(clientId, keys);
    }
    return keys;
  }

  private add(keys: Set<string>, key: string): void {
    keys.add(key);
    if (keys.size > RedeliveryMarker.PER_CLIENT) keys.delete(keys.values().next().value as string);
  }
}
