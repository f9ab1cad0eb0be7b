import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nativeHeartbeatSchema, parseSealTopic } from '../../../contract/topics.ts';
import { runLoad } from '../../../simulator/load/runLoad.ts';
import { type RecordingBroker, startRecordingBroker } from './inProcessAedes.ts';

let broker: RecordingBroker;
beforeEach(async () => {
  broker = await startRecordingBroker();
});
afterEach(async () => {
  await broker.close();
});

describe('load mode against a bare aedes', () => {
  it('acknowledges every QoS 1 message it sent, and the broker received each one, valid', async () => {
    const summary = await runLoad({ url: broker.url, connections: 5, qos: 1, count: 3000, inflight: 32 });
    expect(summary).toMatchObject({
      sent: 3000,
      acked: 3000,
      unacked: 0,
      errors: 0,
      connections: 5,
      connected: 5,
    });
    expect(summary.pubackLatencyMs?.count).toBe(3000);
    const heartbeats = broker.published.filter((p) => parseSealTopic(p.topic)?.channel === 'heartbeat');
    expect(heartbeats).toHaveLength(3000);
    for (const p of heartbeats) {
      expect(p.qos).toBe(1);
      expect(nativeHeartbeatSchema.safeParse(JSON.parse(p.payload)).success).toBe(true);
    }
    const perClient = new Map<string, number[]>();
    for (const p of heartbeats)
      perClient.set(p.clientId, [...(perClient.get(p.clientId) ?? []), JSON.parse(p.payload).seq]);
    expect(perClient.size).toBe(5);
    for (const seqs of perClient.values()) expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('paces a fixed rate and uses the given credentials as sensor logins', async () => {
    const credentials = [1, 2, 3].map((i) => ({ sensorId: `sensor-${i}`, secret: `secret-${i}` }));
    const summary = await runLoad({
      url: broker.url,
      connections: 3,
      qos: 1,
      rate: 500,
      durationMs: 1000,
      credentials,
    });
    expect(summary.sent).toBeGreaterThan(0);
    expect(summary.acked).toBe(summary.sent);
    expect(summary.targetRate).toBe(500);
    expect(broker.logins.map((l) => [l.clientId, l.username, l.password]).sort()).toEqual(
      credentials.map((c) => [c.sensorId, c.sensorId, c.secret]),
    );
  });

  it('stops early when aborted and still returns a summary', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const summary = await runLoad({
      url: broker.url,
      connections: 2,
      qos: 0,
      durationMs: 60_000,
      signal: controller.signal,
    });
    expect(summary.interrupted).toBe(true);
    expect(summary.sent).toBeGreaterThan(0);
    expect(summary.pubackLatencyMs).toBeNull();
  });
});
