import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import { Aedes } from 'aedes';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { aedesPatchApplied } from '../../../broker/aedesInternals.ts';
import { connectClient } from '../../helpers/mqtt.ts';
import { connectFor, loggedIn, type RawMqtt, rawMqtt } from '../../helpers/rawMqtt.ts';

/**
 * patches/aedes+1.2.0.patch makes every Aedes client smaller (lib/client.js, issue 20.3): its
 * subscription, duplicate and listener maps are fast objects with a null prototype instead of
 * dictionaries, the inbound QoS 2 set is made at the first QoS 2 PUBLISH, two bound functions are
 * shared, 'connected' is listened with `on`, and the end of a connection is taken from the
 * stream's 'close' and 'end' instead of stream.finished(). These tests run the patched Aedes bare
 * (no hooks of ours), over TCP and WebSocket, on what each change could break. The memory saved is
 * measured by `npm run bench -- connections` (bench/lib/connectionMemoryProbe.ts), not here.
 */
describe('the patched Aedes client (patches/aedes+1.2.0.patch, lib/client.js)', () => {
  let aedes: Aedes | undefined;
  let server: Server | undefined;
  let port: number;
  const open: RawMqtt[] = [];
  /** The broker's side of every TCP connection, in the order they came. */
  const serverSide: Socket[] = [];

  async function start(options: Record<string, unknown> = {}): Promise<Aedes> {
    const broker = await Aedes.createBroker(options);
    aedes = broker;
    server = createServer((socket) => {
      serverSide.push(socket);
      broker.handle(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
    return broker;
  }
  const connected = async (clientId: string, extra: Record<string, unknown> = {}) => {
    const c = await loggedIn(port, connectFor(clientId, undefined, undefined, extra));
    open.push(c);
    return c;
  };
  const will = (clientId: string) => ({
    will: { topic: `seal/${clientId}/status`, payload: Buffer.from('offline'), qos: 1, retain: false },
  });
  /** A subscriber on `filter` at QoS 1 whose received PUBLISHes are in `packets`. */
  async function subscriber(filter: string): Promise<RawMqtt> {
    const c = await connected(`sub-${filter.length}-${open.length}`);
    c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 1 }] });
    await c.next((p) => p.cmd === 'suback');
    return c;
  }
  const publishes = (c: RawMqtt) =>
    c.packets.filter((p): p is Packet & { cmd: 'publish'; topic: string; qos: number; payload: Buffer } => {
      return p.cmd === 'publish';
    });

  afterEach(async () => {
    for (const c of open.splice(0)) c.end();
    serverSide.length = 0;
    const broker = aedes;
    if (broker) await new Promise<void>((r) => broker.close(() => r()));
    server?.close();
    [aedes, server] = [undefined, undefined];
  });

  it('is applied to the installed Aedes (npm ci runs patch-package)', () => {
    expect(aedesPatchApplied()).toBe(true);
  });

  it('reads a topic named like an Object.prototype member as no subscription of its own (GHSA-52qw-whmv-87c5)', async () => {
    // deliverQoS looks the topic up in the client's subscriptions to downgrade to the granted QoS.
    // With an inherited 'constructor' there, a QoS 1 message granted at QoS 1 would arrive at QoS 0.
    await start();
    const sub = await subscriber('#');
    const publisher = await connected('pub');
    const topics = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
    topics.forEach((topic, i) => {
      publisher.send({ cmd: 'publish', topic, payload: topic, qos: 1, messageId: i + 1 });
    });
    for (const topic of topics) await sub.next((p) => p.cmd === 'publish' && p.topic === topic);
    expect(publishes(sub).map((p) => [p.topic, p.qos, p.payload.toString()])).toEqual(
      topics.map((t) => [t, 1, t]),
    );
  });

  it('completes QoS 2 without a set made at connect, answers an unknown PUBREL, and still bounds the window', async () => {
    await start({ maxInflightInbound: 2 });
    const sub = await subscriber('q/#');
    const c = await connected('q2');
    // A PUBREL for an id never received: PUBCOMP (MQTT-4.3.3-11), not a crash on the missing set.
    c.send({ cmd: 'pubrel', messageId: 9 });
    expect(await c.next((p) => p.cmd === 'pubcomp')).toMatchObject({ messageId: 9 });

    c.send({ cmd: 'publish', topic: 'q/1', payload: 'one', qos: 2, messageId: 1 });
    await c.next((p) => p.cmd === 'pubrec' && p.messageId === 1);
    c.send({ cmd: 'pubrel', messageId: 1 });
    await c.next((p) => p.cmd === 'pubcomp' && p.messageId === 1);
    await sub.next((p) => p.cmd === 'publish' && p.topic === 'q/1');

    // Two awaiting PUBREL fill the window of 2; a third new one closes the connection.
    for (const id of [2, 3]) {
      c.send({ cmd: 'publish', topic: `q/${id}`, payload: 'x', qos: 2, messageId: id });
      await c.next((p) => p.cmd === 'pubrec' && p.messageId === id);
    }
    c.send({ cmd: 'publish', topic: 'q/4', payload: 'x', qos: 2, messageId: 4 });
    await c.closed();
    expect(c.packets.some((p) => p.cmd === 'pubrec' && p.messageId === 4)).toBe(false);
  });

  it('completes the QoS 2 exchange of a resumed session, whose new connection has no set yet', async () => {
    // MQTT-4.3.3: the PUBREL may come on a later connection of the session; the stored packet is
    // released (persistence) and the slot of a set that this connection never made is not there.
    const broker = await start();
    const first = await connected('q2-session', { clean: false });
    first.send({ cmd: 'publish', topic: 'q/s', payload: 'kept', qos: 2, messageId: 5 });
    await first.next((p) => p.cmd === 'pubrec' && p.messageId === 5);
    first.end();
    await expect.poll(() => broker.connectedClients).toBe(0);
    const again = await connected('q2-session', { clean: false });
    again.send({ cmd: 'pubrel', messageId: 5 });
    expect(await again.next((p) => p.cmd === 'pubcomp')).toMatchObject({ messageId: 5 });
  });

  it('handles the packets that came with the CONNECT once each, after the CONNACK', async () => {
    await start();
    const sub = await subscriber('early/#');
    const c = await rawMqtt(port);
    open.push(c);
    // One write: CONNECT and two QoS 1 PUBLISHes, queued until 'connected' (lib/client.js enqueue).
    c.sendBytes(
      Buffer.concat([
        mqttPacket.generate(connectFor('early') as unknown as Packet),
        mqttPacket.generate({
          cmd: 'publish',
          topic: 'early/1',
          payload: Buffer.from('a'),
          qos: 1,
          messageId: 1,
          dup: false,
          retain: false,
        }),
        mqttPacket.generate({
          cmd: 'publish',
          topic: 'early/2',
          payload: Buffer.from('b'),
          qos: 1,
          messageId: 2,
          dup: false,
          retain: false,
        }),
      ]),
    );
    await c.next((p) => p.cmd === 'puback' && p.messageId === 2);
    await sub.next((p) => p.cmd === 'publish' && p.topic === 'early/2');
    // Something after, so that a second handling of the queue would have had its chance.
    c.send({ cmd: 'publish', topic: 'early/3', payload: 'c', qos: 1, messageId: 3 });
    await sub.next((p) => p.cmd === 'publish' && p.topic === 'early/3');
    expect(c.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId)).toEqual([1, 2, 3]);
    expect(publishes(sub).map((p) => p.topic)).toEqual(['early/1', 'early/2', 'early/3']);
  });

  describe('the end of a connection, from its stream (no stream.finished())', () => {
    /** Waits for Aedes to have closed the client with this id: its will published, it forgotten. */
    async function willOf(broker: Aedes, sub: RawMqtt, clientId: string): Promise<void> {
      await sub.next((p) => p.cmd === 'publish' && p.topic === `seal/${clientId}/status`);
      expect(
        publishes(sub)
          .find((p) => p.topic === `seal/${clientId}/status`)
          ?.payload.toString(),
      ).toBe('offline');
      await expect.poll(() => broker.connectedClients).toBe(1); // only the subscriber
    }

    // Each way a TCP connection ends, and which of the stream's events tells Aedes.
    const endings: Array<[how: string, extra: Record<string, unknown>, end: (seal: RawMqtt) => unknown]> = [
      ['the device closes its side (FIN: the stream ends)', {}, (seal) => seal.socket.end()],
      [
        'the connection is reset (RST: the stream errs and closes)',
        {},
        (seal) => seal.socket.resetAndDestroy(),
      ],
      // As our packet guard or a device's removal does: no 'end', no 'error', only 'close'.
      [
        'something on the broker destroys the stream without an error',
        {},
        () => serverSide.at(-1)?.destroy(),
      ],
      [
        'the broker ends a silent connection (keep alive, MQTT-3.1.2-24)',
        { keepalive: 1 },
        (seal) => seal.closed(4_000),
      ],
    ];
    it.each(endings)('publishes the will when %s', async (_how, extra, end) => {
      const broker = await start();
      const sub = await subscriber('seal/+/status');
      const seal = await connected('s-end', { ...extra, ...will('s-end') });
      await end(seal);
      await willOf(broker, sub, 's-end');
    });

    it('publishes the will when a WebSocket connection drops (ws createWebSocketStream)', async () => {
      const broker = await start();
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await once(wss, 'listening');
      wss.on('connection', (ws) => broker.handle(createWebSocketStream(ws)));
      try {
        const sub = await subscriber('seal/+/status');
        const wsPort = (wss.address() as { port: number }).port;
        const seal = await connectClient(`ws://127.0.0.1:${wsPort}`, {
          clientId: 's-ws',
          will: { topic: 'seal/s-ws/status', payload: Buffer.from('offline'), qos: 1, retain: false },
          reconnectPeriod: 0,
        });
        (seal.stream as unknown as { destroy(): void }).destroy();
        await willOf(broker, sub, 's-ws');
        seal.end(true);
      } finally {
        for (const ws of wss.clients) ws.terminate();
        await new Promise((r) => wss.close(r));
      }
    });

    it('closes the client of a stream that was destroyed before Aedes got it', async () => {
      const broker = await start();
      const stream = new Socket();
      stream.destroy();
      // Its 'close' is over before Aedes listens: only the check at construction can see the end.
      await once(stream, 'close');
      const client = broker.handle(stream) as unknown as { closed: boolean };
      await expect.poll(() => client.closed).toBe(true);
    });
  });
});
