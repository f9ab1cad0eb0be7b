import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AEDES_VERSION,
  assertAedesVersion,
  connectedClients,
  endedWithDisconnect,
  forgetConnectPacket,
  installedAedesVersion,
  lightenParserBuffer,
  type OutgoingPacket,
  onSubscriptionAdded,
  persistenceOf,
  replaceDelivery,
  storedWillOrigin,
  subscriptionsOf,
  willTopicOf,
} from '../../../broker/aedesInternals.ts';
import { ServiceError } from '../../../core/errors.ts';
import { eventually } from '../../helpers/eventually.ts';
import { connectFor, type RawMqtt, rawMqtt } from '../../helpers/rawMqtt.ts';

/**
 * Every read of broker/aedesInternals.ts, against a real Aedes (bare: none of our hooks) over
 * TCP. An Aedes upgrade that moves one of them fails here, before AEDES_VERSION is raised.
 */

interface BareAedes {
  aedes: Aedes;
  port: number;
  /** Aedes' client objects, in the order the connections arrived. */
  handled: Client[];
}

const running: Array<{ aedes: Aedes; server: Server }> = [];
const sockets: RawMqtt[] = [];

/** `onHandle` runs right after `aedes.handle`, before the connection's first packet. */
async function startAedes(
  options: AedesOptions = {},
  onHandle?: (client: Client) => void,
): Promise<BareAedes> {
  const aedes = new Aedes(options);
  await aedes.listen();
  const handled: Client[] = [];
  const server = createServer((socket) => {
    const client = aedes.handle(socket);
    handled.push(client);
    onHandle?.(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push({ aedes, server });
  return { aedes, port: (server.address() as { port: number }).port, handled };
}

async function connected(port: number, clientId: string, extra: Record<string, unknown> = {}) {
  const c = await rawMqtt(port);
  sockets.push(c);
  c.send(connectFor(clientId, undefined, undefined, extra));
  const connack = (await c.next((p) => p.cmd === 'connack')) as { returnCode: number };
  expect(connack.returnCode).toBe(0);
  return c;
}

async function subscribed(
  c: RawMqtt,
  messageId: number,
  subscriptions: Array<{ topic: string; qos: number }>,
) {
  c.send({ cmd: 'subscribe', messageId, subscriptions });
  await c.next((p) => p.cmd === 'suback' && p.messageId === messageId);
}

const will = { topic: 'w/a', payload: Buffer.from('offline'), qos: 0, retain: false };

/** The kind of buffer a connection's mqtt-packet parser keeps (parser.js `_list`). */
/** What a connection's mqtt-packet parser keeps of the CONNECT (parser.js `settings`). */
const parserSettings = (c: Client): object =>
  (c as unknown as { _parser: { settings: object } })._parser.settings;

const parserBufferKind = (c: Client): string =>
  (c as unknown as { _parser: { _list: object } })._parser._list.constructor.name;

afterEach(async () => {
  for (const c of sockets.splice(0)) c.end();
  for (const { aedes, server } of running.splice(0)) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe(`broker/aedesInternals.ts against the installed Aedes (written for ${AEDES_VERSION})`, () => {
  it('runs on the Aedes version it was written for, and names both versions otherwise', () => {
    const pkg = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../../node_modules/aedes/package.json'), 'utf8'),
    );
    expect(installedAedesVersion()).toBe(pkg.version);
    expect(installedAedesVersion()).toBe(AEDES_VERSION);
    expect(() => assertAedesVersion()).not.toThrow();
    let refusal: unknown;
    try {
      assertAedesVersion('1.3.0');
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(ServiceError);
    expect((refusal as ServiceError).code).toBe('config');
    expect((refusal as ServiceError).message).toContain('aedes 1.3.0 is installed');
    expect((refusal as ServiceError).message).toContain(`written for aedes ${AEDES_VERSION}`);
  });

  it('persistenceOf: the store Aedes asks for a resumed session and for retained messages', async () => {
    const { aedes, port } = await startAedes();
    const persistence = persistenceOf(aedes);
    const askedForSession: string[] = [];
    const askedForRetained: string[][] = [];
    const subscriptionsByClient = persistence.subscriptionsByClient.bind(persistence);
    persistence.subscriptionsByClient = (client) => {
      askedForSession.push(client.id);
      return subscriptionsByClient(client);
    };
    const createRetainedStreamCombi = persistence.createRetainedStreamCombi.bind(persistence);
    persistence.createRetainedStreamCombi = (patterns) => {
      askedForRetained.push(patterns);
      return createRetainedStreamCombi(patterns);
    };

    const c = await connected(port, 'p1', { clean: false });
    expect(askedForSession).toEqual(['p1']);
    c.send({
      cmd: 'publish',
      topic: 'r/1',
      payload: Buffer.from('kept'),
      qos: 1,
      messageId: 1,
      retain: true,
    });
    await c.next((p) => p.cmd === 'puback');
    await subscribed(c, 2, [{ topic: 'r/+', qos: 0 }]);
    const retained = await c.next((p) => p.cmd === 'publish' && p.topic === 'r/1');
    expect(askedForRetained).toEqual([['r/+']]);
    expect((retained as { retain: boolean }).retain).toBe(true);
  });

  it('connectedClients: the connected clients, the newest after a takeover', async () => {
    const { aedes, port, handled } = await startAedes();
    const a = await connected(port, 'a');
    await connected(port, 'b');
    expect(connectedClients(aedes)).toEqual(expect.arrayContaining([handled[0], handled[1]]));
    expect(
      connectedClients(aedes)
        .map((c) => c.id)
        .sort(),
    ).toEqual(['a', 'b']);

    await connected(port, 'a');
    await a.closed();
    expect(connectedClients(aedes)).toHaveLength(2);
    expect(connectedClients(aedes)).toContain(handled[2]);
    expect(handled[0]?.closed).toBe(true);

    sockets.at(-1)?.send({ cmd: 'disconnect' });
    await eventually(() => connectedClients(aedes).length === 1, 2_000, 'a gone from the table');
    expect(connectedClients(aedes).map((c) => c.id)).toEqual(['b']);
  });

  it('willTopicOf, storedWillOrigin: still readable when Aedes asks authorizePublish for a will', async () => {
    const seen: Array<{ topic: string; closed: boolean; willTopic: string | null; origin: unknown }> = [];
    const { aedes, port, handled } = await startAedes({
      authorizePublish(client, packet, done) {
        if (client) {
          seen.push({
            topic: packet.topic,
            closed: client.closed,
            willTopic: willTopicOf(client),
            origin: storedWillOrigin(packet),
          });
        }
        done(null);
      },
    });
    const withWill = await connected(port, 'a', { will });
    await connected(port, 'b');
    expect(willTopicOf(handled[0] as Client)).toBe('w/a');
    expect(willTopicOf(handled[1] as Client)).toBeNull();

    withWill.send({ cmd: 'publish', topic: 'live/a', payload: Buffer.from('x'), qos: 1, messageId: 1 });
    await withWill.next((p) => p.cmd === 'puback');
    withWill.end();
    await eventually(() => seen.length === 2, 2_000, 'the will reaches authorizePublish');
    expect(seen).toEqual([
      { topic: 'live/a', closed: false, willTopic: 'w/a', origin: null },
      { topic: 'w/a', closed: true, willTopic: 'w/a', origin: { brokerId: aedes.id, clientId: 'a' } },
    ]);
    // Aedes clears it once authorizePublish returned.
    expect(willTopicOf(handled[0] as Client)).toBeNull();
  });

  it('endedWithDisconnect: true after DISCONNECT, false for a connection that was lost', async () => {
    const ended = new Map<string, boolean>();
    const { aedes, port } = await startAedes();
    aedes.on('clientDisconnect', (client) => ended.set(client.id, endedWithDisconnect(client)));
    const polite = await connected(port, 'polite');
    const lost = await connected(port, 'lost');
    polite.send({ cmd: 'disconnect' });
    lost.end();
    await eventually(() => ended.size === 2, 2_000, 'both connections end');
    expect(Object.fromEntries(ended)).toEqual({ polite: true, lost: false });
  });

  it('subscriptionsOf: granted subscriptions by filter, replaced on a new QoS, gone at UNSUBSCRIBE', async () => {
    const { port, handled } = await startAedes();
    const c = await connected(port, 's');
    const client = handled[0] as Client;
    await subscribed(c, 1, [
      { topic: 'a/+', qos: 1 },
      { topic: 'b/#', qos: 0 },
    ]);
    const subs = subscriptionsOf(client);
    expect(Object.keys(subs).sort()).toEqual(['a/+', 'b/#']);
    expect(subs['a/+']?.qos).toBe(1);
    expect(subs['b/#']?.qos).toBe(0);
    const first = subs['a/+'];

    await subscribed(c, 2, [{ topic: 'a/+', qos: 2 }]);
    expect(subscriptionsOf(client)['a/+']).not.toBe(first);
    expect(subscriptionsOf(client)['a/+']?.qos).toBe(2);

    c.send({ cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['b/#'] });
    await c.next((p) => p.cmd === 'unsuback');
    expect(Object.keys(subscriptionsOf(client))).toEqual(['a/+']);
  });

  it('replaceDelivery, onSubscriptionAdded: live messages and retained ones pass the replaced functions', async () => {
    const delivered: Array<{ via: string; topic: string; qos: number }> = [];
    let added = 0;
    const { aedes, port } = await startAedes({}, (client) =>
      replaceDelivery(client, (original) => ({
        deliverQoS: (packet: OutgoingPacket, done) => {
          delivered.push({ via: 'deliverQoS', topic: packet.topic, qos: packet.qos });
          original.deliverQoS(packet, done);
        },
        deliver0: (packet: OutgoingPacket, done) => {
          delivered.push({ via: 'deliver0', topic: packet.topic, qos: packet.qos });
          original.deliver0(packet, done);
        },
      })),
    );
    onSubscriptionAdded(aedes, () => added++);
    const publisher = await connected(port, 'pub');
    publisher.send({
      cmd: 'publish',
      topic: 'y/r',
      payload: Buffer.from('kept'),
      qos: 1,
      messageId: 1,
      retain: true,
    });
    await publisher.next((p) => p.cmd === 'puback');

    const sub = await connected(port, 'sub');
    await subscribed(sub, 1, [
      { topic: 'x/#', qos: 0 },
      { topic: 'y/#', qos: 1 },
    ]);
    expect(added).toBe(2);
    await sub.next((p) => p.cmd === 'publish' && p.topic === 'y/r');
    publisher.send({ cmd: 'publish', topic: 'x/1', payload: Buffer.from('0'), qos: 0 });
    publisher.send({ cmd: 'publish', topic: 'y/1', payload: Buffer.from('1'), qos: 1, messageId: 2 });
    await sub.next((p) => p.cmd === 'publish' && p.topic === 'x/1');
    await sub.next((p) => p.cmd === 'publish' && p.topic === 'y/1');

    const toSubscriber = delivered.filter((d) => !d.topic.startsWith('$SYS'));
    expect(toSubscriber).toEqual(
      expect.arrayContaining([
        { via: 'deliverQoS', topic: 'y/r', qos: 1 },
        { via: 'deliver0', topic: 'x/1', qos: 0 },
        { via: 'deliverQoS', topic: 'y/1', qos: 1 },
      ]),
    );
    expect(toSubscriber).toHaveLength(3);
  });

  it('lightenParserBuffer: ParserBytes parses packets split and joined across reads', async () => {
    const { port, handled } = await startAedes({}, lightenParserBuffer);
    const received: string[] = [];
    const c = await connected(port, 'split');
    const client = handled[0] as Client;
    expect(parserBufferKind(client)).toBe('ParserBytes');
    client.on('error', (err) => received.push(`error ${err.message}`));
    const publish = (n: number) =>
      mqttPacket.generate({
        cmd: 'publish',
        topic: 'split/t',
        payload: Buffer.from(`message ${n} ${'x'.repeat(200)}`),
        qos: 1,
        messageId: n,
        retain: false,
        dup: false,
      });
    const sub = await connected(port, 'sub');
    await subscribed(sub, 1, [{ topic: 'split/#', qos: 1 }]);
    // One packet byte by byte, then two packets in one write with a third cut at its remaining length.
    const one = publish(1);
    for (const byte of one) {
      c.sendBytes(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    const [two, three] = [publish(2), publish(3)];
    c.sendBytes(Buffer.concat([two, three.subarray(0, 2)]));
    await new Promise((r) => setTimeout(r, 10));
    c.sendBytes(three.subarray(2));
    for (const id of [1, 2, 3]) await c.next((p) => p.cmd === 'puback' && p.messageId === id);
    for (const n of [1, 2, 3]) {
      const p = (await sub.next(
        (q) => q.cmd === 'publish' && String(q.payload).startsWith(`message ${n} `),
      )) as { payload: Buffer };
      received.push(String(p.payload).slice(0, 9));
    }
    expect(received).toEqual(['message 1', 'message 2', 'message 3']);
    expect(parserBufferKind(client)).toBe('ParserBytes');
  });

  it('forgetConnectPacket: the parser keeps only the protocol version, and later packets still parse', async () => {
    const { port, handled } = await startAedes({
      preConnect: (client, _packet, done) => {
        forgetConnectPacket(client);
        done(null, true);
      },
    });
    const c = await connected(port, 'forget', { will, username: 'u', password: Buffer.from('p') });
    const client = handled[0] as Client;
    expect(parserSettings(client)).toEqual({ protocolVersion: 4 });
    // Aedes kept the will on its client: it is still there to publish when the connection is lost.
    expect(willTopicOf(client)).toBe('w/a');
    c.send({
      cmd: 'publish',
      topic: 'f/t',
      payload: Buffer.from('x'),
      qos: 1,
      messageId: 4,
      retain: false,
      dup: false,
    });
    await c.next((p) => p.cmd === 'puback' && p.messageId === 4);
    c.send({ cmd: 'pingreq' });
    await c.next((p) => p.cmd === 'pingresp');
  });
});
