import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../helpers/metrics.ts';
import { closed, connectRefusal, connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';

describe('ingest over real MQTT', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let s1: { sensorId: string; secret: string };
  let s2: { sensorId: string; secret: string };

  beforeAll(async () => {
    svc = await startService();
    s1 = await provisionArmedSensor(svc, { sensor: 'seal-1', grid: 'g1' });
    s2 = await provisionArmedSensor(svc, { sensor: 'seal-2', grid: 'g1' });
  });
  afterAll(async () => svc?.cleanup());

  const seal = async (id: string) => (await svc.api('GET', `/api/seals/${id}`)).body;
  const metrics = async () => (await svc.api('GET', '/metrics', undefined, null)).body as string;

  it('an open at QoS 1 makes the seal open and armed', async () => {
    const client = await connectSensor(svc.mqttUrl, s1.sensorId, s1.secret);
    await client.publishAsync('seal/seal-1/event', eventPayload('open', 1), { qos: 1 });
    await client.endAsync();
    const state = await seal('seal-1');
    expect(state).toMatchObject({ sensorId: 'seal-1', door: 'open', armed: true, online: true });
    expect(Date.parse(state.lastSeen)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('a heartbeat records battery and rssi', async () => {
    const client = await connectSensor(svc.mqttUrl, s1.sensorId, s1.secret);
    await client.publishAsync('seal/seal-1/heartbeat', heartbeatPayload(2, 'open', 77, -71), { qos: 1 });
    await client.endAsync();
    expect(await seal('seal-1')).toMatchObject({ battery: 77, rssi: -71, door: 'open' });
  });

  it('the WAL is checkpointed by the worker thread, and /metrics counts it', async () => {
    // The tests above committed messages; the worker copies them into the database file within 100 ms.
    await expect
      .poll(async () => metricValue(await metrics(), 'sealwatch_sqlite_wal_checkpoints'))
      .toBeGreaterThanOrEqual(1);
    expect(metricValue(await metrics(), 'sealwatch_sqlite_wal_checkpoint_longest_seconds')).toBeGreaterThan(
      0,
    );
  });

  it('/metrics counts WAL syncs on the event loop that were too slow', async () => {
    // A slow one cannot be made on demand here (test/integration/store/walFlush.test.ts trips it with
    // a DOUBLE); this checks the figures are wired to /metrics. A busy test machine's disk may have
    // tripped it for real, so the count is not assumed to be 0, only consistent with the slowest.
    const text = await metrics();
    expect(text).toMatch(/^sealwatch_sqlite_wal_syncs_slow_on_loop \d+$/m);
    expect(text).toMatch(/^sealwatch_sqlite_wal_sync_slowest_on_loop_seconds [\d.e-]+$/m);
    const slow = metricValue(text, 'sealwatch_sqlite_wal_syncs_slow_on_loop');
    const slowest = metricValue(text, 'sealwatch_sqlite_wal_sync_slowest_on_loop_seconds');
    if (slow === 0) expect(slowest).toBe(0);
    else expect(slowest).toBeGreaterThan(0.005);
  });

  it('/metrics has how long each commit group waited inside the service, one observation per group', async () => {
    // The messages above were committed in groups (counter "commits"); each group is one observation.
    const text = await metrics();
    const commits = metricValue(text, 'sealwatch_ingest', { counter: 'commits' });
    expect(commits).toBeGreaterThanOrEqual(2);
    for (const name of ['sealwatch_ingest_group_wait_seconds', 'sealwatch_ingest_group_sync_seconds']) {
      expect(metricValue(text, `${name}_count`), name).toBe(commits);
      expect(metricValue(text, `${name}_bucket`, { le: '+Inf' }), name).toBe(commits);
    }
    // A group waits at least as long as its sync took, and some time at all.
    const wait = metricValue(text, 'sealwatch_ingest_group_wait_seconds_sum');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeGreaterThanOrEqual(metricValue(text, 'sealwatch_ingest_group_sync_seconds_sum'));
  });

  it('the same QoS 1 message delivered twice changes the state once', async () => {
    const client = await connectSensor(svc.mqttUrl, s2.sensorId, s2.secret);
    const payload = eventPayload('open', 500);
    await client.publishAsync('seal/seal-2/event', payload, { qos: 1 });
    // A redelivery repeats the payload (same seq and ts), as after a lost PUBACK.
    await client.publishAsync('seal/seal-2/event', payload, { qos: 1, dup: true });
    await client.endAsync();
    const history = (await svc.api('GET', '/api/seals/seal-2/history')).body.items;
    expect(history.filter((e: { seq: number }) => e.seq === 500)).toHaveLength(1);
    expect(
      metricValue(await metrics(), 'sealwatch_messages_rejected_total', { reason: 'duplicate' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('refuses anonymous logins, wrong passwords and a client id that is not the username, and counts them', async () => {
    expect(await connectRefusal(svc.mqttUrl, { clientId: 'anon' })).toMatch(/code 4|Bad username/i);
    expect(
      await connectRefusal(svc.mqttUrl, { clientId: 'seal-1', username: 'seal-1', password: 'wrong' }),
    ).toMatch(/code 4|Bad username/i);
    expect(
      await connectRefusal(svc.mqttUrl, { clientId: 'other', username: 'seal-1', password: s1.secret }),
    ).toMatch(/code 2|Identifier rejected/i);
    const text = await metrics();
    expect(metricValue(text, 'sealwatch_mqtt_refused', { reason: 'auth_anonymous' })).toBe(1);
    expect(metricValue(text, 'sealwatch_mqtt_refused', { reason: 'auth_bad_credentials' })).toBe(1);
    expect(metricValue(text, 'sealwatch_mqtt_refused', { reason: 'auth_client_id_mismatch' })).toBe(1);
  });

  it('drops, counts and does not apply: another sensor’s topic, bad JSON, schema violations, oversize packets', async () => {
    const before = await seal('seal-2');
    const client = await connectSensor(svc.mqttUrl, s1.sensorId, s1.secret);
    // Bad JSON and a schema violation are acknowledged (so the device stops resending) and dropped.
    await client.publishAsync('seal/seal-1/event', '{not json', { qos: 1 });
    await client.publishAsync(
      'seal/seal-1/event',
      JSON.stringify({ type: 'opened', ts: Date.now(), seq: 3 }),
      { qos: 1 },
    );
    // Publishing under another sensor's id is an ACL breach: the connection is closed.
    const closing = closed(client);
    client.publish('seal/seal-2/event', eventPayload('close', 9), { qos: 1 });
    await closing;

    // A packet over the 4 KiB limit closes the connection before it is buffered.
    const big = await connectSensor(svc.mqttUrl, s1.sensorId, s1.secret);
    const bigClosing = closed(big);
    big.publish('seal/seal-1/event', 'x'.repeat(5000), { qos: 1 });
    await bigClosing;
    big.end(true);

    const text = await metrics();
    expect(metricValue(text, 'sealwatch_messages_rejected_total', { reason: 'bad_json' })).toBe(1);
    expect(metricValue(text, 'sealwatch_messages_rejected_total', { reason: 'schema' })).toBe(1);
    expect(metricValue(text, 'sealwatch_mqtt_refused', { reason: 'acl' })).toBe(1);
    expect(metricValue(text, 'sealwatch_mqtt_refused', { reason: 'packet_too_large' })).toBe(1);
    const after = await seal('seal-2');
    expect(after.door).toBe(before.door);
    expect(after.lastSeen).toBe(before.lastSeen);
    expect((await seal('seal-1')).door).toBe('open');
  });

  it('a payload over 1 KiB inside the packet limit is dropped as too large', async () => {
    const client = await connectSensor(svc.mqttUrl, s1.sensorId, s1.secret);
    await client.publishAsync(
      'seal/seal-1/event',
      JSON.stringify({ type: 'close', ts: Date.now(), seq: 4, pad: 'x'.repeat(1100) }),
      {
        qos: 1,
      },
    );
    await client.endAsync();
    expect(metricValue(await metrics(), 'sealwatch_messages_rejected_total', { reason: 'too_large' })).toBe(
      1,
    );
    expect((await seal('seal-1')).door).toBe('open');
  });

  it('answers 404 with the error shape for an unknown sensor', async () => {
    const res = await svc.api('GET', '/api/seals/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
