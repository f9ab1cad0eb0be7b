import type { AedesPersistence } from './aedesInternals.ts';

/**
 * Skips Aedes' offline-queue lookup for every message while no client has a persistent subscription
 * (issue 20.1).
 *
 * For every QoS > 0 message Aedes asks its persistence which persistent sessions subscribe to the
 * topic, to queue the message for those that are offline (aedes.js `enqueueOffline`): a match against
 * the persistence's subscription trie, a promise and the words of the topic split: the match alone
 * 0.34 µs a message in the ingest bench's CPU profile, and about 0.6 KB of garbage a message with the
 * rest (sampling heap profile). Only a SUBSCRIBE of a client without a clean session puts anything into
 * that trie (lib/handlers/subscribe.js `storeSubscriptions` calls `addSubscriptions` only when
 * `client.clean` is false); a seal subscribes to nothing (SPEC, ACL), so in a fleet of seals the trie
 * stays empty and every lookup answers nothing. Until the first such subscription this answers nothing without looking;
 * from then on, for good, every lookup is the persistence's own. With our patch to `enqueueOffline`, Aedes asks
 * `noPersistentSubscriptions()` first and does not even ask for the lookup: no DoEnqueues object, no promise
 * (about 0.7 KB of garbage a message in the sampling heap profile at 5,000 msg/s).
 *
 * Only for the in-memory persistence of a single node, which starts empty with the process: with
 * REDIS_URL, subscriptions stored by another node or an earlier run are in the shared persistence.
 */
export function skipOfflineLookupUntilSubscribed(persistence: AedesPersistence): {
  lookupsSkipped(): number;
} {
  let subscribed = false;
  let skipped = 0;
  const add = persistence.addSubscriptions.bind(persistence);
  const byTopic = persistence.subscriptionsByTopic.bind(persistence);
  persistence.addSubscriptions = (client, subs) => {
    subscribed = true;
    return add(client, subs);
  };
  // Asked by the patched enqueueOffline before it looks anything up: a true here skips the lookup
  // itself and the object and promises Aedes builds around it (patches/aedes+1.2.0.patch).
  persistence.noPersistentSubscriptions = () => {
    if (subscribed) return false;
    skipped++;
    return true;
  };
  // Aedes without the patch still asks this for every message.
  persistence.subscriptionsByTopic = (topic) => {
    if (subscribed) return byTopic(topic);
    skipped++;
    // A new array each time: Aedes filters and hands on what it gets.
    return Promise.resolve([]);
  };
  return { lookupsSkipped: () => skipped };
}
