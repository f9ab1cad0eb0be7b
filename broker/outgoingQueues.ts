import type { AedesPersistence } from './aedesInternals.ts';

/**
 * Tells our patch to Aedes' CONNECT (patches/aedes+1.2.0.patch, connect.js `emptyQueue`) which clients
 * can have nothing queued, so that their login skips the stream pipeline that sends a session's queued
 * messages: about 10 KB of garbage and 0.1 ms of CPU per CONNECT, which in a login storm kept V8's heap
 * growing (issue 20.3). A message enters a client's queue only through `outgoingEnqueue` (a QoS > 0
 * message to a connected persistent session) or `outgoingEnqueueCombi` (to an offline one); a client id
 * that never went through either has an empty queue. Seals only publish, so theirs never do; a client id
 * that ever had a message queued keeps Aedes' own path for good, whatever its queue holds now, since
 * Aedes empties it at that client's next CONNECT (sending it, or dropping it for a clean session,
 * MQTT-3.1.2-6).
 *
 * Only for the in-memory persistence of a single node: with REDIS_URL another node may queue for a
 * client, and every CONNECT keeps Aedes' own path.
 */
export function trackOutgoingQueues(persistence: AedesPersistence): { clientsEverQueued(): number } {
  const everQueued = new Set<string>();
  const enqueue = persistence.outgoingEnqueue.bind(persistence);
  const enqueueCombi = persistence.outgoingEnqueueCombi.bind(persistence);
  persistence.outgoingEnqueue = (sub, packet) => {
    everQueued.add(sub.clientId);
    return enqueue(sub, packet);
  };
  persistence.outgoingEnqueueCombi = (subs, packet) => {
    for (const sub of subs) everQueued.add(sub.clientId);
    return enqueueCombi(subs, packet);
  };
  persistence.outgoingQueueEmpty = (client) => !everQueued.has(client.id);
  return { clientsEverQueued: () => everQueued.size };
}
