import { Readable } from 'node:stream';
import type { Aedes, Client } from 'aedes';

/**
 * Small patches to Aedes 1.2 internals, applied at broker creation, each where
 * Aedes departs from MQTT 3.1.1. broker/README.md ("Patches to Aedes")
 * describes each for upstream. They touch Aedes' untyped internals, so each
 * is covered by test/reliability/mqtt311Conformance.test.ts.
 */

/**
 * Whether a topic filter matches a topic name (MQTT 3.1.1 section 4.7): `+`
 * is one level, possibly empty (4.7.1.3: `sport/+` matches `sport/`); `#`
 * the remaining levels and the parent (4.7.1.2: `sport/#` matches `sport`); a filter starting with a wildcard does not
 * match a `$` topic (MQTT-4.7.2-1). The filter is assumed valid. No allocation.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) === DOLLAR) {
    const first = filter.charCodeAt(0);
    if (first === PLUS || first === HASH) return false;
  }
  const fl = filter.length;
  const tl = topic.length;
  let f = 0;
  let t = 0;
  while (f < fl) {
    const c = filter.charCodeAt(f);
    if (c === HASH) return true;
    if (c === PLUS) {
      while (t < tl && topic.charCodeAt(t) !== SLASH) t++;
      f++;
    } else {
      while (f < fl && filter.charCodeAt(f) !== SLASH) {
        if (t >= tl || topic.charCodeAt(t) !== filter.charCodeAt(f)) return false;
        f++;
        t++;
      }
      if (t < tl && topic.charCodeAt(t) !== SLASH) return false;
    }
    if (f === fl) return t === tl;
    // The filter goes on after a `/`; a topic that ended matches only a final `/#`.
    if (t === tl) return f + 2 === fl && filter.charCodeAt(f + 1) === HASH;
    f++;
    t++;
  }
  return t === tl;
}

const SLASH = 47;
const PLUS = 43;
const HASH = 35;
const DOLLAR = 36;

interface AedesSubscription {
  qos: number;
}

interface AedesClientInternals {
  subscriptions: Record<string, AedesSubscription | undefined>;
  deliverQoS(packet: { topic: string; qos: number }, cb: () => void): void;
  deliver0(packet: { topic: string; qos: number }, cb: () => void): void;
}

/**
 * MQTT-3.8.4-6 and MQTT-3.3.5-1: a message goes out once, at the minimum of
 * its QoS and the highest QoS granted to the client's matching subscriptions.
 * Aedes' `deliverQoS` (lib/client.js) looks the subscription up by the
 * message's topic, `subscriptions[packet.topic]`, so a wildcard subscription
 * is never found and the message keeps its own QoS; retained messages are
 * sent through the same function. `wrap` replaces each connection's
 * `deliverQoS` before its first SUBSCRIBE (Aedes reads `client.deliverQoS`
 * when it adds a subscription and when it sends retained messages). The
 * packet is Aedes' own copy for this delivery, so lowering its QoS touches no
 * one else; at QoS 0 Aedes' `deliverQoS` hands it to `deliver0`.
 *
 * Enumerating Aedes' `client.subscriptions` (a dictionary-mode object) costs
 * about 90 ns per delivery, so each connection keeps its filters in arrays,
 * rebuilt when a subscription was added anywhere since (Aedes adds them
 * through `broker.subscribe`, counted here) or one of them was replaced or
 * removed (checked by identity): about 30 ns with the match, no allocation.
 */
export class DeliveredQosCap {
  private epoch = 0;

  constructor(aedes: Aedes) {
    const subscribe = aedes.subscribe.bind(aedes);
    aedes.subscribe = (topic, func, done) => {
      this.epoch++;
      subscribe(topic, func, done);
    };
  }

  wrap(client: Client): void {
    const c = client as unknown as AedesClientInternals;
    const deliverQoS = c.deliverQoS;
    let builtAt = -1;
    const filters: string[] = [];
    const subs: AedesSubscription[] = [];
    const current = () => {
      if (builtAt === this.epoch) {
        let i = 0;
        while (i < filters.length && c.subscriptions[filters[i] as string] === subs[i]) i++;
        if (i === filters.length) return;
      }
      builtAt = this.epoch;
      filters.length = 0;
      subs.length = 0;
      for (const filter in c.subscriptions) {
        const sub = c.subscriptions[filter];
        if (!sub) continue;
        filters.push(filter);
        subs.push(sub);
      }
    };
    /** The highest QoS granted by a matching subscription (stops at `enough`); -1: none matches. */
    const granted = (topic: string, enough: number) => {
      current();
      let max = -1;
      for (let i = 0; i < filters.length && max < enough; i++) {
        const qos = (subs[i] as AedesSubscription).qos;
        if (qos > max && topicMatches(filters[i] as string, topic)) max = qos;
      }
      return max;
    };
    c.deliverQoS = (packet, cb) => {
      if (packet.qos > 0) {
        const max = granted(packet.topic, packet.qos);
        if (max >= 0 && max < packet.qos) packet.qos = max;
      }
      deliverQoS(packet, cb);
    };
    // MQTT-3.3.5-1: Aedes delivers a message once per client (`dedupe`), through whichever matching
    // subscription mqemitter calls first; a QoS 0 one (`deliver0`) would send it at QoS 0 although
    // another grants more. Such a delivery goes through the capped `deliverQoS` instead.
    const deliver0 = c.deliver0;
    c.deliver0 = (packet, cb) => {
      if (packet.qos > 0 && granted(packet.topic, 1) > 0) c.deliverQoS(packet, cb);
      else deliver0(packet, cb);
    };
  }
}

/**
 * The same rule for the messages queued for an offline persistent session:
 * Aedes sends them at the reconnect (lib/handlers/connect.js, `emptyQueue`)
 * with `write()`, past `deliverQoS`, calling only authorizeForward first;
 * call this from there. Only subscriptions with QoS > 0 queue messages, so
 * the one case is a QoS 2 message for a QoS 1 subscription: sent at QoS 1,
 * its PUBACK ends it in the store as a PUBCOMP would (`handlePuback`).
 */
export function capQueuedQos(client: Client, packet: { topic: string; qos: number }): void {
  if (packet.qos < 2) return;
  const c = client as unknown as AedesClientInternals;
  if (grantedQos(c.subscriptions, packet.topic, 2) === 1) packet.qos = 1;
}

/** The highest QoS among the matching subscriptions (stops at `enough`); -1 when none matches. */
function grantedQos(
  subscriptions: Record<string, { qos: number } | undefined>,
  topic: string,
  enough: number,
): number {
  let max = -1;
  for (const filter in subscriptions) {
    const qos = subscriptions[filter]?.qos ?? 0;
    if (qos <= max || !topicMatches(filter, topic)) continue;
    max = qos;
    if (max >= enough) break;
  }
  return max;
}

interface RetainedStore {
  createRetainedStreamCombi(patterns: string[]): Readable;
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
export function matchEmptyLevelsInRetained(persistence: RetainedStore): void {
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

interface SubscriptionStore {
  subscriptionsByClient(client: { id: string }): Promise<Array<{ topic: string; qos: number }>>;
}

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
export function reportSessionPresent(persistence: SubscriptionStore, resumes: (clientId: string) => boolean) {
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
