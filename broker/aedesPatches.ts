import { Readable } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import {
  type AedesPersistence,
  type GrantedSubscription,
  type OutgoingPacket,
  onSubscriptionAdded,
  replaceDelivery,
  subscriptionsOf,
} from './aedesInternals.ts';
import { topicMatches } from './topicMatches.ts';

/**
 * Small patches to Aedes 1.2, applied at broker creation, each where Aedes departs from MQTT
 * 3.1.1. broker/README.md ("Patches to Aedes") describes each for upstream. What they read of
 * Aedes they read through aedesInternals.ts; each patch is covered by
 * test/reliability/mqtt311Conformance.test.ts.
 */

/** The highest QoS granted by a matching subscription (stops at `enough`); -1: none matches. */
type GrantedQos = (topic: string, enough: number) => number;

/**
 * MQTT-3.8.4-6 and MQTT-3.3.5-1: a message goes out once, at the minimum of
 * its QoS and the highest QoS granted to the client's matching subscriptions.
 * Aedes' `deliverQoS` (lib/client.js) looks the subscription up by the
 * message's topic, `subscriptions[packet.topic]`, so a wildcard subscription
 * is never found and the message keeps its own QoS; retained messages are
 * sent through the same function. `wrap` replaces a connection's
 * `deliverQoS` before its first subscription is added: only connections that
 * subscribe pay for the wrappers (most sensors only publish; wrapping every
 * connection at accept cost about 0.5 KB each, issue 20). The packet is Aedes' own copy for
 * this delivery, so lowering its QoS touches no one else; at QoS 0 Aedes'
 * `deliverQoS` hands it to `deliver0`.
 *
 * Enumerating Aedes' `client.subscriptions` (a dictionary-mode object) costs
 * about 90 ns per delivery, so each connection keeps its filters in arrays,
 * rebuilt when a subscription was added anywhere since (counted through
 * `onSubscriptionAdded`) or one of them was replaced or removed (checked by
 * identity): about 30 ns with the match, no allocation. `capQueued` uses the
 * same arrays.
 */
export class DeliveredQosCap {
  private epoch = 0;
  private readonly grantedQos = new WeakMap<Client, GrantedQos>();

  /** Before the first client connects: every subscription added since moves the epoch. */
  countSubscriptions(aedes: Aedes): void {
    onSubscriptionAdded(aedes, () => {
      this.epoch++;
    });
  }

  /**
   * From authorizeSubscribe, when it grants a subscription: Aedes adds it right after (subscribe.js
   * `addSubs`, for a SUBSCRIBE and for each subscription a resumed session restores), copying the
   * delivery function into it, and sends retained messages only after that. Idempotent.
   */
  wrap(client: Client): void {
    if (this.grantedQos.has(client)) return;
    const subscriptions = subscriptionsOf(client);
    let builtAt = -1;
    const filters: string[] = [];
    const subs: GrantedSubscription[] = [];
    const current = () => {
      if (builtAt === this.epoch) {
        let i = 0;
        while (i < filters.length && subscriptions[filters[i] as string] === subs[i]) i++;
        if (i === filters.length) return;
      }
      builtAt = this.epoch;
      filters.length = 0;
      subs.length = 0;
      for (const filter in subscriptions) {
        const sub = subscriptions[filter];
        if (!sub) continue;
        filters.push(filter);
        subs.push(sub);
      }
    };
    const granted: GrantedQos = (topic, enough) => {
      current();
      let max = -1;
      for (let i = 0; i < filters.length && max < enough; i++) {
        const qos = (subs[i] as GrantedSubscription).qos;
        if (qos > max && topicMatches(filters[i] as string, topic)) max = qos;
      }
      return max;
    };
    this.grantedQos.set(client, granted);
    replaceDelivery(client, (original) => {
      const deliverQoS = (packet: OutgoingPacket, cb: () => void) => {
        if (packet.qos > 0) {
          const max = granted(packet.topic, packet.qos);
          if (max >= 0 && max < packet.qos) packet.qos = max;
        }
        original.deliverQoS(packet, cb);
      };
      // MQTT-3.3.5-1: Aedes delivers a message once per client (`dedupe`), through whichever matching
      // subscription mqemitter calls first; a QoS 0 one (`deliver0`) would send it at QoS 0 although
      // another grants more. Such a delivery goes through the capped `deliverQoS` instead.
      const deliver0 = (packet: OutgoingPacket, cb: () => void) => {
        if (packet.qos > 0 && granted(packet.topic, 1) > 0) deliverQoS(packet, cb);
        else original.deliver0(packet, cb);
      };
      return { deliverQoS, deliver0 };
    });
  }

  /**
   * The same rule for the messages queued for an offline persistent session:
   * Aedes sends them at the reconnect (lib/handlers/connect.js, `emptyQueue`)
   * with `write()`, past `deliverQoS`, calling only authorizeForward first;
   * call this from there. Only subscriptions with QoS > 0 queue messages, so
   * the one case is a QoS 2 message for a QoS 1 subscription: sent at QoS 1,
   * its PUBACK ends it in the store as a PUBCOMP would (`handlePuback`).
   * Live deliveries pass authorizeForward too, already capped by `wrap`: they
   * return at the first test.
   */
  capQueued(client: Client, packet: OutgoingPacket): void {
    if (packet.qos < 2) return;
    if (this.grantedQos.get(client)?.(packet.topic, 2) === 1) packet.qos = 1;
  }
}

/**
 * Section 4.7.1.3: `+` matches an empty level, so `a/b/+` matches `a/b/`. The
 * in-memory aedes-persistence 11 matches retained messages with a
 * `QlobberTrue` built without `match_empty_levels: true` (asyncPersistence.js,
 * `QLOBBER_OPTIONS`), unlike Aedes' own mqemitter and aedes-persistence-redis.
 * For a pattern with `+`, ask for the pattern cut at its first `+` and ended
 * with `#` (a superset: Qlobber's `#` matches empty levels) and keep what
 * `topicMatches` matches. The store scans every retained topic for a
 * wildcard pattern anyway, so this costs no more than before.
 */
export function matchEmptyLevelsInRetained(persistence: AedesPersistence): void {
  const original = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.createRetainedStreamCombi = (patterns) =>
    patterns.some((p) => p.includes('+'))
      ? Readable.from(retainedMatching(original, patterns))
      : original(patterns);
}

async function* retainedMatching(
  original: (patterns: string[]) => Readable,
  patterns: readonly string[],
): AsyncGenerator<unknown> {
  for (const pattern of patterns) {
    const plus = pattern.indexOf('+');
    if (plus === -1) {
      yield* original([pattern]);
      continue;
    }
    for await (const packet of original([`${pattern.slice(0, plus)}#`])) {
      if (topicMatches(pattern, (packet as { topic: string }).topic)) yield packet;
    }
  }
}

/** A subscription that stands for "this session exists"; authorizeSubscribe drops it. */
export const SESSION_MARKER = '$sealwatch/session-present';

/**
 * MQTT-3.2.2-2: CONNACK's Session Present is 1 when a CleanSession=0 client
 * resumes a session the server holds. Aedes (lib/handlers/connect.js,
 * `gotSubs` and `restoreSubs`) sets it only when the stored session has
 * subscriptions, so a device that never subscribes is always told 0. Aedes
 * should keep whether a session exists apart from its subscriptions. Here
 * `subscriptionsByClient`, which Aedes calls only for that decision and the
 * restore, answers a session without subscriptions with one marker
 * subscription; the restore passes it through authorizeSubscribe, which
 * refuses it, so it is never added.
 */
export function reportSessionPresent(persistence: AedesPersistence, resumes: (clientId: string) => boolean) {
  const original = persistence.subscriptionsByClient.bind(persistence);
  persistence.subscriptionsByClient = async (client) => {
    const subs = await original(client);
    return subs.length === 0 && resumes(client.id) ? [{ topic: SESSION_MARKER, qos: 0 }] : subs;
  };
}

/**
 * Which client ids hold a persistent session (CleanSession=0, not since ended
 * by a CleanSession=1 CONNECT, MQTT-3.1.2-6), and whether the CONNECT being
 * handled resumes one. In memory, like the in-memory persistence; with
 * REDIS_URL the caller passes what Redis says.
 */
export class SessionLedger {
  private readonly known = new Set<string>();
  private readonly resuming = new Set<string>();

  /**
   * At an accepted CONNECT, before Aedes reads the session. `held`: what the shared store (Redis)
   * says, which wins over this node's memory; unknown (Redis failed, or one node): this node's.
   */
  connected(clientId: string, clean: boolean, held?: boolean): void {
    if (clean) {
      this.known.delete(clientId);
      this.resuming.delete(clientId);
    } else if (held ?? this.known.has(clientId)) {
      this.known.add(clientId);
      this.resuming.add(clientId);
    } else {
      this.known.add(clientId);
      this.resuming.delete(clientId);
    }
  }

  /** Whether this CONNECT resumes a session (answered once). */
  resumes(clientId: string): boolean {
    return this.resuming.delete(clientId);
  }
}
