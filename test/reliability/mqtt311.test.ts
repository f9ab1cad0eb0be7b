import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.ts';
import { metricValue } from '../helpers/metrics.ts';
import { closed, connectClient, connectSensor, eventPayload } from '../helpers/mqtt.ts';
import { connectFor, rawMqtt } from '../helpers/rawMqtt.ts';
import { provisionArmedSensor, startService } from '../helpers/service.ts';

/**
 * The MQTT 3.1.1 normative statements that matter for seals, each named.
 * Where Aedes alone would deviate, the statement is kept by our hooks
 * (broker/packetGuard.ts, broker/topicValidation.ts, broker/createBroker.ts).
 */
describe('MQTT 3.1.1 behaviour of the embedded broker', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let s: { sensorId: string; secret: string };
  let serviceToken: string;

  beforeAll(async () => {
    svc = await startService();
    s = await provisionArmedSensor(svc, { sensor: 'm311-1', grid: 'm311' });
    serviceToken = (
      await svc.api('POST', '/api/tokens', { role: 'technician', gridId: null, name: 'protocol tests' })
    ).body.token;
  });
  afterAll(async () => svc?.cleanup());

  const seal = async () => (await svc.api('GET', `/api/seals/${s.sensorId}`)).body;
  /** The retained status a fresh subscriber gets (MQTT-3.3.1-6). */
  let watchers = 0;
  const retainedStatus = async (): Promise<string> => {
    const watcher = await connectClient(svc.mqttUrl, {
      clientId: `m311-retained-${++watchers}`,
      username: 'token',
      password: serviceToken,
    });
    const got = new Promise<string>((resolve) =>
      watcher.on('message', (_topic, payload, packet) => {
        if (packet.retain) resolve(payload.toString());
      }),
    );
    await watcher.subscribeAsync(`seal/${s.sensorId}/status`, { qos: 1 });
    const status = await Promise.race([
      got,
      new Promise<string>((resolve) => setTimeout(() => resolve('(no retained status)'), 2_000)),
    ]);
    await watcher.endAsync();
    return status;
  };

  it('MQTT-3.1.0-1: a first packet other than CONNECT closes the connection (guarded in packetGuard)', async () => {
    const c = await rawMqtt(svc.mqttPort);
    c.send({ cmd: 'publish', topic: `seal/${s.sensorId}/event`, payload: eventPayload('open', 1), qos: 0 });
    await c.closed();
  });

  it('MQTT-3.1.0-2: a second CONNECT is a protocol violation and closes the connection', async () => {
    const c = await rawMqtt(svc.mqttPort);
    c.send(connectFor(s.sensorId, s.sensorId, s.secret));
    await c.next((p) => p.cmd === 'connack');
    c.send(connectFor(s.sensorId, s.sensorId, s.secret));
    await c.closed();
  });

  it('MQTT-3.1.2-2: an unsupported protocol level gets CONNACK 0x01 and is closed', async () => {
    const c = await rawMqtt(svc.mqttPort);
    const bytes = mqttPacket.generate(
      connectFor(s.sensorId, s.sensorId, s.secret) as unknown as mqttPacket.Packet,
    );
    bytes[bytes.indexOf(Buffer.from('MQTT')) + 4] = 6;
    c.sendBytes(bytes);
    await c.closed();
    const connack = c.packets.find((p) => p.cmd === 'connack') as { returnCode?: number } | undefined;
    // Either CONNACK 1 then close, or a straight close: no session is established.
    expect(connack === undefined || connack.returnCode === 1).toBe(true);
  });

  it('MQTT-3.1.2-24: no packet within 1.5 × keep-alive closes the connection, and publishes the will (MQTT-3.1.2-8)', async () => {
    const c = await rawMqtt(svc.mqttPort);
    c.send(
      connectFor(s.sensorId, s.sensorId, s.secret, {
        keepalive: 1,
        will: { topic: `seal/${s.sensorId}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
      }),
    );
    await c.next((p) => p.cmd === 'connack');
    c.send({
      cmd: 'publish',
      topic: `seal/${s.sensorId}/status`,
      payload: 'online',
      qos: 1,
      messageId: 1,
      retain: true,
    });
    await c.next((p) => p.cmd === 'puback');
    expect((await seal()).online).toBe(true);
    const lifetime = await c.closed(5_000);
    expect(lifetime).toBeGreaterThanOrEqual(1_000);
    await eventually(async () => (await seal()).online === false, 5_000, 'the will marked the seal offline');
  });

  it('MQTT-3.1.2-10 / MQTT-3.14.4-3: a clean DISCONNECT discards the will', async () => {
    const client = await connectSensor(svc.mqttUrl, s.sensorId, s.secret, {
      will: { topic: `seal/${s.sensorId}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await client.publishAsync(`seal/${s.sensorId}/status`, 'online', { qos: 1, retain: true });
    await client.endAsync();
    await new Promise((r) => setTimeout(r, 500));
    expect((await seal()).online).toBe(true);
  });

  it('MQTT-3.1.4-2 takeover: the will of the connection a reconnect took over is not published (retained status and seal stay online)', async () => {
    // MQTT 3.1.1 §3.1.4 (MQTT-3.1.4-2): a CONNECT with a client id already connected makes the server
    // disconnect the existing client; §3.1.2.5 (MQTT-3.1.2-8): the will is published when the network
    // connection is closed without DISCONNECT, which read literally includes that server-side close.
    // We suppress that will all the same: it says "this device is gone", yet the device is alive on
    // its new connection. Published, its retained `offline` would overwrite the retained `online` and
    // mark a connected seal offline until the device next publishes (a quiet seal: up to an hour).
    const statusTopic = `seal/${s.sensorId}/status`;
    const will = { topic: statusTopic, payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    const staleWills = async () =>
      metricValue(
        (await svc.api('GET', '/metrics', undefined, null)).body as string,
        'sealwatch_mqtt_refused',
        {
          reason: 'stale_will',
        },
      );
    const staleBefore = await staleWills();

    const first = await connectSensor(svc.mqttUrl, s.sensorId, s.secret, { will });
    await first.publishAsync(statusTopic, 'online', { qos: 1, retain: true });
    expect((await seal()).online).toBe(true);
    const firstClosed = closed(first);
    // The takeover: same client id, same will, and nothing published on the new connection.
    const second = await connectSensor(svc.mqttUrl, s.sensorId, s.secret, { will });
    await firstClosed;
    // The old connection's will is decided while Aedes closes it: either refused (counted) or
    // published, and then ingest marks the seal offline.
    await eventually(
      async () => (await staleWills()) > staleBefore || (await seal()).online === false,
      5_000,
      "the old connection's will was refused or reached ingest",
    );
    expect((await seal()).online).toBe(true);
    expect(await retainedStatus()).toBe('online');
    expect(await staleWills()).toBe(staleBefore + 1);

    // The guard does not swallow the new connection's own will: cut without DISCONNECT, it fires.
    second.end(true);
    await eventually(async () => (await seal()).online === false, 5_000, "the second connection's will");
    expect(await retainedStatus()).toBe('offline');
  });

  it('MQTT-3.3.1-6: a retained status reaches a later subscriber with the retain flag', async () => {
    const sensor = await connectSensor(svc.mqttUrl, s.sensorId, s.secret);
    await sensor.publishAsync(`seal/${s.sensorId}/status`, 'online', { qos: 1, retain: true });
    await sensor.endAsync();
    const watcher = await connectClient(svc.mqttUrl, {
      clientId: 'm311-watch',
      username: 'token',
      password: serviceToken,
    });
    const got = new Promise<{ topic: string; retain: boolean; payload: string }>((resolve) =>
      watcher.on('message', (topic, payload, packet) =>
        resolve({ topic, retain: packet.retain, payload: payload.toString() }),
      ),
    );
    await watcher.subscribeAsync(`seal/${s.sensorId}/status`, { qos: 1 });
    expect(await got).toEqual({ topic: `seal/${s.sensorId}/status`, retain: true, payload: 'online' });
    await watcher.endAsync();
  });

  it('MQTT-4.4.0-1 / MQTT-3.3.1-1: unacknowledged QoS 1 messages are resent with DUP to a persistent session (Aedes sends DUP 0: set in our authorizeForward)', async () => {
    const sub = await rawMqtt(svc.mqttPort);
    sub.send(connectFor('m311-persistent', 'token', serviceToken, { clean: false }));
    await sub.next((p) => p.cmd === 'connack');
    sub.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: `seal/${s.sensorId}/event`, qos: 1 }],
    });
    await sub.next((p) => p.cmd === 'suback');

    const sensor = await connectSensor(svc.mqttUrl, s.sensorId, s.secret);
    await sensor.publishAsync(`seal/${s.sensorId}/event`, eventPayload('close', 8_001), { qos: 1 });
    const first = (await sub.next((p) => p.cmd === 'publish')) as { dup: boolean; messageId: number };
    expect(first.dup).toBe(false);
    // Leave without PUBACK.
    sub.end();
    await new Promise((r) => setTimeout(r, 300));

    const again = await rawMqtt(svc.mqttPort);
    again.send(connectFor('m311-persistent', 'token', serviceToken, { clean: false }));
    const connack = (await again.next((p) => p.cmd === 'connack')) as { sessionPresent: boolean };
    expect(connack.sessionPresent).toBe(true);
    const resent = (await again.next((p) => p.cmd === 'publish')) as {
      dup: boolean;
      messageId: number;
      payload: Buffer;
    };
    expect(resent.dup).toBe(true);
    expect(JSON.parse(resent.payload.toString()).seq).toBe(8_001);
    again.send({ cmd: 'puback', messageId: resent.messageId });
    again.end();
    await sensor.endAsync();
  });

  it('MQTT-3.3.2-2 and MQTT-1.5.3-1/2: wildcards, NUL and invalid UTF-8 in a PUBLISH topic are refused', async () => {
    for (const topic of [
      Buffer.from('seal/+/event'),
      Buffer.from(`seal/${s.sensorId}\u0000/event`),
      Buffer.from([0x73, 0x2f, 0xc3, 0x28]),
    ]) {
      const c = await rawMqtt(svc.mqttPort);
      c.send(connectFor(s.sensorId, s.sensorId, s.secret));
      await c.next((p) => p.cmd === 'connack');
      const body = Buffer.concat([
        Buffer.from([0, topic.length]),
        topic,
        Buffer.from([0, 9]),
        Buffer.from('{}'),
      ]);
      c.sendBytes(Buffer.concat([Buffer.from([0x32, body.length]), body]));
      await c.closed();
    }
  });

  it('MQTT-3.1.3-8 with our rule: a device must use its sensor id as client id (empty id refused)', async () => {
    const c = await rawMqtt(svc.mqttPort);
    c.send(connectFor('', s.sensorId, s.secret));
    const connack = (await c.next((p) => p.cmd === 'connack')) as { returnCode: number };
    expect(connack.returnCode).toBe(2);
    c.end();
  });
});
