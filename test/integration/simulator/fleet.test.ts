import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeEventSchema, nativeHeartbeatSchema, parseSealTopic } from '../../../contract/topics.ts';
import { Fleet, type FleetOptions } from '../../../simulator/fleet/fleet.ts';
import { type RecordingBroker, startRecordingBroker } from './inProcessAedes.ts';

let broker: RecordingBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

const base = (url: string, sensors: FleetOptions['sensors']): FleetOptions => ({
  url,
  sensors,
  dialect: 'native',
  heartbeatMs: 300,
  jitter: 0.1,
  qos: 1,
  seed: 3,
  // High enough that a 3 s run sees openings at any hour (the model follows the time of day).
  opensPerDay: 400_000,
  batteryStart: [60, 100],
  drainPerHour: 0,
  flakyProbability: 0,
  flakyDownMs: [100, 200],
  stormSpreadMs: 200,
  connectRatePerSec: 500,
  maxConnecting: 50,
  keepaliveSec: 30,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fleet mode against a bare aedes', () => {
  it('publishes valid native payloads with one seq counter per sensor, online on connect, offline as will', async () => {
    const secrets = new Map(Array.from({ length: 20 }, (_, i) => [`fleet-${i}`, `secret-${i}`]));
    broker = await startRecordingBroker(
      (clientId, username, password) =>
        clientId === 'watcher' || (clientId === username && secrets.get(username ?? '') === password),
    );
    const watcher = await mqtt.connectAsync(broker.url, { clientId: 'watcher', reconnectPeriod: 0 });
    const seen: Array<{ topic: string; payload: string }> = [];
    watcher.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    await watcher.subscribeAsync('seal/#', { qos: 1 });

    const fleet = new Fleet(
      base(
        broker.url,
        [...secrets].map(([sensorId, secret]) => ({ sensorId, secret })),
      ),
    );
    fleet.start();
    await sleep(3000);
    const summary = await fleet.stop();
    await sleep(500);
    await watcher.endAsync();

    expect(summary.peakConnected).toBe(20);
    expect(summary.errors).toBe(0);
    expect(summary.refused).toBe(0);
    const bySensor = new Map<string, { seqs: number[]; status: string[]; events: number }>();
    for (const m of seen) {
      const t = parseSealTopic(m.topic);
      expect(t, m.topic).not.toBeNull();
      const entry = bySensor.get(t!.sensorId) ?? { seqs: [], status: [], events: 0 };
      bySensor.set(t!.sensorId, entry);
      if (t!.channel === 'status') entry.status.push(m.payload);
      else if (t!.channel === 'heartbeat')
        entry.seqs.push(nativeHeartbeatSchema.parse(JSON.parse(m.payload)).seq);
      else if (t!.channel === 'event') {
        entry.seqs.push(nativeEventSchema.parse(JSON.parse(m.payload)).seq);
        entry.events += 1;
      } else throw new Error(`unexpected channel in ${m.topic}`);
    }
    expect([...bySensor.keys()].sort()).toEqual([...secrets.keys()].sort());
    for (const [id, e] of bySensor) {
      expect(e.status[0], id).toBe('online');
      expect(e.status.at(-1), id).toBe('offline');
      expect(e.seqs.length, id).toBeGreaterThanOrEqual(5);
      e.seqs.forEach((seq, i) => {
        if (i > 0) expect(seq - e.seqs[i - 1]!, `${id} seq order`).toBe(1);
      });
    }
    expect([...bySensor.values()].reduce((n, e) => n + e.events, 0)).toBeGreaterThan(0);
  });

  it('connects from the local addresses given, round-robin', async () => {
    broker = await startRecordingBroker();
    const sensors = Array.from({ length: 6 }, (_, i) => ({ sensorId: `from-${i}`, secret: 'x' }));
    // The whole of 127.0.0.0/8 is local on Linux, so the broker on 127.0.0.1 sees these as the peers.
    const fleet = new Fleet({
      ...base(broker.url, sensors),
      sourceAddresses: ['127.0.9.1', '127.0.9.2', '127.0.9.3'],
    });
    fleet.start();
    const t0 = Date.now();
    while (fleet.snapshot().connected < 6 && Date.now() - t0 < 5_000) await sleep(50);
    await fleet.stop();
    const from = broker.logins
      .filter((l) => l.clientId.startsWith('from-'))
      .map((l) => `${l.clientId}@${l.from}`)
      .sort();
    expect(from).toEqual([
      'from-0@127.0.9.1',
      'from-1@127.0.9.2',
      'from-2@127.0.9.3',
      'from-3@127.0.9.1',
      'from-4@127.0.9.2',
      'from-5@127.0.9.3',
    ]);
  });

  it('reconnects every sensor after a storm', async () => {
    broker = await startRecordingBroker();
    const sensors = Array.from({ length: 10 }, (_, i) => ({ sensorId: `storm-${i}`, secret: 'x' }));
    const fleet = new Fleet({ ...base(broker.url, sensors), stormAtMs: 800 });
    fleet.start();
    await sleep(2500);
    const snapshot = fleet.snapshot();
    const summary = await fleet.stop();
    expect(summary.storms).toBe(1);
    expect(snapshot.connected).toBe(10);
    expect(broker.logins.filter((l) => l.clientId.startsWith('storm-'))).toHaveLength(20);
  });

  it('a storm asked for (SIGUSR2 in the CLI) keeps the steady PUBACK latencies apart from the storm’s', async () => {
    broker = await startRecordingBroker();
    const sensors = Array.from({ length: 10 }, (_, i) => ({ sensorId: `usr2-${i}`, secret: 'x' }));
    const fleet = new Fleet(base(broker.url, sensors));
    const until = async (done: () => boolean) => {
      while (!done()) await sleep(20);
    };
    fleet.start();
    // 10 `online` + 10 first heartbeats at connect, then at least 20 periodic heartbeats with all up.
    await until(() => fleet.snapshot().acked >= 40);
    fleet.storm();
    const ackedAtStorm = fleet.snapshot().acked;
    await until(() => fleet.snapshot().connected === 10 && fleet.snapshot().acked >= ackedAtStorm + 20);
    const summary = await fleet.stop();
    expect(summary.storms).toBe(1);
    expect(summary.pubackLatencyBeforeStormMs?.count).toBeGreaterThanOrEqual(20);
    // After the storm: each reconnect's `online` and heartbeat, and what followed.
    expect(summary.pubackLatencyMs.count).toBeGreaterThanOrEqual(20);
  });

  it('speaks Zigbee2MQTT through one gateway connection with the gateway credential', async () => {
    broker = await startRecordingBroker();
    const sensors = Array.from({ length: 5 }, (_, i) => ({ sensorId: `zb-${i}`, secret: 'unused' }));
    const fleet = new Fleet({
      ...base(broker.url, sensors),
      dialect: 'zigbee2mqtt',
      gateway: { username: 'gw-1', password: 'gw-secret' },
    });
    fleet.start();
    await sleep(1500);
    await fleet.stop();
    expect(broker.logins.map((l) => [l.clientId, l.username, l.password])).toEqual([
      ['gw-1', 'gw-1', 'gw-secret'],
    ]);
    const messages = broker.published.filter((p) => p.topic.startsWith('zigbee2mqtt/'));
    expect(new Set(messages.map((m) => m.topic))).toEqual(
      new Set(sensors.map((s) => `zigbee2mqtt/${s.sensorId}`)),
    );
    for (const m of messages) {
      const body = JSON.parse(m.payload);
      expect(Object.keys(body).sort()).toEqual(['battery', 'contact', 'linkquality', 'tamper', 'voltage']);
      expect(typeof body.contact).toBe('boolean');
      expect(body.battery).toBeGreaterThanOrEqual(0);
      expect(body.linkquality).toBeLessThanOrEqual(255);
    }
    expect(broker.published.some((p) => p.topic.startsWith('seal/'))).toBe(false);
  });
});
