// aedes-persistence-redis ships no types: the part of its API that broker/cluster.ts uses.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';

  export interface RedisPersistenceOptions {
    /** An ioredis connection to use instead of one built from the other options. */
    conn?: Redis;
    /** Offline messages sent to a persistent session on CONNECT, at most (default 1000). */
    maxSessionDelivery?: number;
    /** Seconds a queued offline message is kept (default: forever). */
    packetTTL?: (packet: unknown) => number;
  }

  /** The promise face of aedes-persistence (its callback layer, called without callbacks). */
  export interface RedisPersistence {
    setup(broker: unknown): Promise<void>;
    storeRetained(packet: unknown): Promise<void>;
    outgoingEnqueueCombi(subs: unknown[], packet: unknown): Promise<void>;
    delWill(client: { id: string; brokerId: string }): Promise<unknown>;
    destroy(): Promise<void>;
  }

  export default function aedesPersistenceRedis(opts?: RedisPersistenceOptions): RedisPersistence;
}
