import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import { ServiceError } from '../core/errors.ts';
import { ParserBytes } from './parserBytes.ts';

/**
 * The one file that reaches into Aedes past its published API (the types it ships and
 * docs/Aedes.md, docs/Client.md): fields it keeps on the broker, its clients and the packets its
 * persistence stores, and functions it looks up on its own objects at run time. Everything else in
 * broker/ goes through here, so an Aedes upgrade is checked in one place:
 * test/integration/broker/aedesInternals.test.ts exercises every function below against a real
 * Aedes over TCP, and `assertAedesVersion` refuses to start with any other version than the one
 * these reads were written for. To upgrade: install it, run that test, fix what moved, then raise
 * AEDES_VERSION. Each read names where Aedes (lib paths as in its repository) sets what it reads.
 */
export const AEDES_VERSION = '1.2.0';

/** A file of the installed Aedes, read as text (its `exports` hide everything but its entry point). */
const aedesFile = (path: string): string =>
  readFileSync(join(dirname(createRequire(import.meta.url).resolve('aedes')), path), 'utf8');

/** The version in node_modules/aedes/package.json. */
export function installedAedesVersion(): string {
  const pkg = JSON.parse(aedesFile('package.json')) as { version?: unknown };
  return String(pkg.version);
}

/** At broker start: any other Aedes than AEDES_VERSION may have moved what this file reads. */
export function assertAedesVersion(installed: string = installedAedesVersion()): void {
  if (installed === AEDES_VERSION) return;
  throw new ServiceError(
    'config',
    `aedes ${installed} is installed, but the embedded broker was written for aedes ${AEDES_VERSION} ` +
      `(broker/aedesInternals.ts reads its internals): install aedes@${AEDES_VERSION}, or check those reads ` +
      `against ${installed} with test/integration/broker/aedesInternals.test.ts and raise AEDES_VERSION`,
    { package: 'aedes', installed, expected: AEDES_VERSION },
  );
}

interface AedesInternals {
  /** aedes.js constructor: connected clients by client id (registerClient, deleteClient). */
  clients: Record<string, Client | undefined>;
  /** aedes.js `listen()`: `opts.persistence` or aedes-persistence's in-memory store. */
  persistence: AedesPersistence;
}

/** A granted subscription as Aedes keeps it (lib/handlers/subscribe.js, `Subscription`). */
export interface GrantedSubscription {
  readonly qos: number;
}

/** A packet on its way to one client: Aedes' own copy for that delivery. */
export interface OutgoingPacket {
  topic: string;
  qos: number;
}

export type Deliver = (packet: OutgoingPacket, done: () => void) => void;

interface ClientInternals {
  /** lib/client.js constructor (`Object.create(null)`): granted subscriptions by filter. */
  subscriptions: Record<string, GrantedSubscription | undefined>;
  /** lib/handlers/connect.js `storeWill`: the CONNECT's will once the session is set up; null after. */
  will: { topic: string } | null;
  /** lib/handlers/index.js: set when the client sent DISCONNECT (no will then, MQTT-3.14.4-3). */
  _disconnected: boolean;
  /** lib/client.js constructor: delivery at QoS 1/2 and at QoS 0. */
  deliverQoS: Deliver;
  deliver0: Deliver;
}

const broker = (aedes: Aedes) => aedes as unknown as AedesInternals;
const client = (c: Client) => c as unknown as ClientInternals;

/**
 * The persistence methods our patches wrap (aedes-persistence's interface). Aedes calls
 * `subscriptionsByClient` only at a CleanSession=0 CONNECT (connect.js `fetchSubs`), and
 * `createRetainedStreamCombi` for the retained messages of a SUBSCRIBE (subscribe.js
 * `completeSubscribe`).
 */
export interface AedesPersistence {
  createRetainedStreamCombi(patterns: string[]): Readable;
  subscriptionsByClient(client: { id: string }): Promise<Array<{ topic: string; qos: number }>>;
  /** A persistent session's SUBSCRIBE (lib/handlers/subscribe.js `storeSubscriptions`). */
  addSubscriptions(
    client: { id: string },
    subs: ReadonlyArray<{ topic: string; qos: number }>,
  ): Promise<unknown>;
  /** The persistent sessions' subscriptions matching a topic (aedes.js `enqueueOffline`, per QoS > 0 message). */
  subscriptionsByTopic(topic: string): Promise<Array<{ clientId: string; topic: string; qos: number }>>;
  /**
   * Asked per QoS > 0 message by our patch to aedes.js `enqueueOffline` (patches/aedes+1.2.0.patch):
   * true when no persistent session has subscribed to anything, and the message skips
   * `subscriptionsByTopic` and the promises around it.
   */
  noPersistentSubscriptions?(): boolean;
  /** The only two ways a message enters a client's outgoing queue (aedes.js `enqueueOffline`, client.js). */
  outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<void>;
  outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string }>, packet: object): Promise<void>;
  /**
   * Asked at every CONNECT by our patch to connect.js `emptyQueue` (patches/aedes+1.2.0.patch): true
   * when nothing can be queued for this client, and the login skips the queue's stream pipeline.
   */
  outgoingQueueEmpty?(client: { id: string }): boolean;
  /** A CONNECT's will, kept until the connection closes (lib/handlers/connect.js `storeWill`). */
  putWill(client: { id: string }, will: { topic: string; payload: unknown }): Promise<void>;
  /** A retained PUBLISH, kept until replaced (aedes.js `storeRetained`). */
  storeRetained(packet: { topic: string; payload: unknown }): Promise<void>;
}

/**
 * Whether node_modules/aedes carries patches/aedes+1.2.0.patch (npm ci applies it, `postinstall`):
 * its empty-queue check in connect.js, its skipped offline lookup in aedes.js and its smaller clients
 * in client.js. patch-package applies a patch whole or not at all; all three are looked for all the same.
 */
export function aedesPatchApplied(): boolean {
  return (
    aedesFile('lib/handlers/connect.js').includes('persistence.outgoingQueueEmpty(client) === true') &&
    aedesFile('aedes.js').includes('persistence.noPersistentSubscriptions() === true') &&
    aedesFile('lib/client.js').includes('new NullPrototypeRecord()')
  );
}

/** The persistence Aedes uses; set up in `listen()`, so only after it. */
export function persistenceOf(aedes: Aedes): AedesPersistence {
  return broker(aedes).persistence;
}

export function connectedClients(aedes: Aedes): Client[] {
  return Object.values(broker(aedes).clients).filter((c): c is Client => c !== undefined);
}

/** This node's connected client with this client id, if any (Aedes keeps them by id). */
export function connectedClient(aedes: Aedes, clientId: string): Client | undefined {
  return broker(aedes).clients[clientId];
}

/**
 * The topic of the client's will, or null. When the connection closes, Aedes passes the will to
 * authorizePublish and clears it right after that call (lib/client.js `close`): read it
 * synchronously in authorizePublish.
 */
export function willTopicOf(c: Client): string | null {
  return client(c).will?.topic ?? null;
}

/** Whether the connection ended with a DISCONNECT packet (not lost, not closed by the broker). */
export function endedWithDisconnect(c: Client): boolean {
  return client(c)._disconnected === true;
}

/**
 * The client's granted subscriptions by filter, live (Aedes replaces an entry when a filter is
 * subscribed again with another QoS, and deletes it at UNSUBSCRIBE).
 */
export function subscriptionsOf(c: Client): Readonly<Record<string, GrantedSubscription | undefined>> {
  return client(c).subscriptions;
}

/**
 * Replaces a connection's two delivery functions with what `wrap` builds from the originals.
 * Aedes copies one of them into each subscription when it is added (subscribe.js `addSubs`) and
 * calls `client.deliverQoS` for retained messages (after the subscription is added), so this must
 * run before the client's first subscription is added: in authorizeSubscribe at the latest.
 */
export function replaceDelivery(
  c: Client,
  wrap: (original: { deliverQoS: Deliver; deliver0: Deliver }) => { deliverQoS: Deliver; deliver0: Deliver },
): void {
  const internals = client(c);
  const replaced = wrap({ deliverQoS: internals.deliverQoS, deliver0: internals.deliver0 });
  internals.deliverQoS = replaced.deliverQoS;
  internals.deliver0 = replaced.deliver0;
}

/**
 * Calls `added` whenever a subscription is added to the broker: Aedes adds every client
 * subscription through the instance's `subscribe` (subscribe.js `addSubs`), as do callers of
 * the public `aedes.subscribe`.
 */
export function onSubscriptionAdded(aedes: Aedes, added: () => void): void {
  const subscribe = aedes.subscribe.bind(aedes);
  aedes.subscribe = (topic, func, done) => {
    added();
    subscribe(topic, func, done);
  };
}

/**
 * For a will a persistence stored: the node that stored it and the client id it is for, which
 * aedes-persistence and aedes-persistence-redis write onto the will packet (`putWill`) and Aedes
 * reads when it publishes the wills of a stopped node (aedes.js `_clearWills`). The will of a
 * connection closing here carries them too (`putWill` writes onto Aedes' own object). Null for a
 * packet no persistence stored.
 */
export function storedWillOrigin(packet: object): { brokerId: string; clientId: string | undefined } | null {
  const stored = packet as { brokerId?: unknown; clientId?: unknown };
  if (typeof stored.brokerId !== 'string') return null;
  return {
    brokerId: stored.brokerId,
    clientId: typeof stored.clientId === 'string' ? stored.clientId : undefined,
  };
}

/**
 * `require` as mqtt-packet (Aedes' packet parser and writer) resolves it: its own dependencies, not
 * whichever copies are hoisted. Resolving does not load mqtt-packet itself.
 */
export const requireFromMqttPacket = createRequire(createRequire(import.meta.url).resolve('mqtt-packet'));

/**
 * The mqtt-packet module Aedes writes every packet with, as Aedes resolves it: lib/write.js reads
 * `writeToStream` off it at each call (broker/pubackWriter.ts puts its PUBACK writer there).
 */
export function aedesMqttPacket(): object {
  return createRequire(createRequire(import.meta.url).resolve('aedes'))('mqtt-packet') as object;
}

/**
 * mqtt-packet's parser (parser.js `_resetState`, called by Aedes' Client constructor through
 * `mqtt.parser()`) keeps the bytes of a packet not yet complete in `bl()`: a BufferListStream, a
 * whole Duplex stream per connection (two stream states, listeners, closures) that the parser only
 * ever uses as a list of buffers. Replaced by ParserBytes (parserBytes.ts), which has every method
 * the parser calls and none of the stream: about 900 bytes less per connection than bl's BufferList
 * stream (issue 20.3, measured with bench/lib/connectionMemoryProbe.ts), and no objects per integer
 * read or consume (issue 20.1). Right after `aedes.handle`, before the first byte is read; a parser
 * that already holds bytes is left alone. After a parse error the parser makes a new
 * BufferListStream again, but Aedes closes such a connection.
 */
export function lightenParserBuffer(c: Client): void {
  const parser = (c as unknown as { _parser: { _list: { length: number } } })._parser;
  if (parser._list.length === 0) parser._list = new ParserBytes();
}

/**
 * mqtt-packet's parser keeps the whole CONNECT packet for the life of the connection (parser.js
 * `_parseConnect`: `this.settings = packet`) but reads only its `protocolVersion` and `bridgeMode`
 * afterwards. The packet holds the client id, user name, password and will, and their buffers keep
 * the CONNECT's read chunk alive: live heap per connection 6,024 → 5,867 bytes with it
 * (bench/lib/connectionMemoryProbe.ts, 5,000 connections; issue 20.3). Called at
 * `preConnect`, once the CONNECT is parsed; Aedes itself keeps what it needs of it (the client id,
 * the will) on its client.
 */
export function forgetConnectPacket(c: Client): void {
  const parser = (c as unknown as { _parser: { settings: ParserSettings } })._parser;
  const { protocolVersion, bridgeMode } = parser.settings;
  parser.settings = { protocolVersion, bridgeMode };
}

interface ParserSettings {
  protocolVersion?: number;
  bridgeMode?: boolean;
}
