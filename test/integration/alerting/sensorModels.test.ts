/**
 * Sensor models (issue 16.1) through the real service and real MQTT: under HEARTBEAT_INTERVAL=1s a
 * seal of an hourly model stays silent without an offline alert while a generic one gets its alert;
 * an unknown model is a 400 naming the known ones; a model's new interval applies at once; and after
 * a restart each seal gets the start-up grace of its own model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { connectSensor, heartbeatPayload } from '../../helpers/mqtt.ts';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';
import { must } from './grid.ts';

type Alert = { id: string; type: string; sensorId?: string; openedAt: string; status: string };

describe('sensor models: offline detection by the seal’s own heartbeat', () => {
  let svc: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    svc = await startService({
      env: { HEARTBEAT_INTERVAL: '1s', MISSED_HEARTBEATS: '3', ESCALATE_AFTER: '10m' },
    });
  });
  afterAll(async () => svc?.cleanup());

  const heartbeat = async (s: { sensorId: string; secret: string }, seq = 1) => {
    const c = await connectSensor(svc.mqttUrl, s.sensorId, s.secret);
    await c.publishAsync(`seal/${s.sensorId}/heartbeat`, heartbeatPayload(seq, 'closed'), { qos: 1 });
    await c.endAsync();
  };
  const offlineAlertOf = async (sensorId: string): Promise<Alert | undefined> =>
    ((await svc.api('GET', '/api/alerts?status=open')).body as Alert[]).find(
      (a) => a.type === 'offline' && a.sensorId === sensorId,
    );
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('an hourly Zigbee seal silent for 10 s gets no offline alert; a generic seal does', async () => {
    const zigbee = await provisionArmedSensor(svc, {
      sensor: 'aqara-1',
      grid: 'g1',
      model: 'aqara-mccgq11lm',
    });
    const generic = await provisionArmedSensor(svc, { sensor: 'native-1', grid: 'g1', household: 'h-n1' });
    await heartbeat(zigbee);
    await heartbeat(generic);

    const seal = (await svc.api('GET', '/api/seals/aqara-1')).body;
    expect(seal).toMatchObject({ model: 'aqara-mccgq11lm', offlineAfter: 3 * 3_600_000, online: true });
    expect(Date.parse(seal.offlineAt) - Date.parse(seal.lastSeen)).toBe(3 * 3_600_000);
    expect((await svc.api('GET', '/api/seals/native-1')).body).toMatchObject({
      model: 'generic',
      offlineAfter: 3_000,
    });

    await eventually(async () => (await offlineAlertOf('native-1')) !== undefined, 10_000, 'generic offline');
    await sleep(10_000 - 3_000);
    expect(await offlineAlertOf('aqara-1')).toBeUndefined();
    expect((await svc.api('GET', '/api/seals/aqara-1')).body.online).toBe(true);
    expect((await svc.api('GET', '/api/seals/native-1')).body.online).toBe(false);
  }, 40_000);

  it('an unknown model is a 400 that lists the known ones; generic follows the environment', async () => {
    await must(svc, 'POST', '/api/households', { id: 'h-x', gridId: 'g1', address: 'x 1 号' }, 201);
    const refused = await svc.api('POST', '/api/sensors', { id: 'x-1', householdId: 'h-x', model: 'MC-38' });
    expect(refused.status).toBe(400);
    for (const id of [
      'generic',
      'aqara-mccgq11lm',
      'sonoff-snzb-04',
      'tuya-ts0203',
      'shelly-dw2',
      'nbiot-seal',
    ])
      expect(refused.body.error.message).toContain(id);
    expect((await svc.api('PATCH', '/api/sensors/native-1', { model: 'nope' })).status).toBe(400);
    // A CSV import names the row and the known models; a known one imports.
    const importCsv = async (csv: string) => {
      const res = await fetch(`${svc.httpUrl}/api/import/sensors`, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'text/csv' },
        body: csv,
      });
      return { status: res.status, text: await res.text() };
    };
    const csvRefused = await importCsv('id,householdId,model\nx-2,h-x,MC-38\n');
    expect(csvRefused.status).toBe(400);
    expect(csvRefused.text).toContain('shelly-dw2');
    expect((await importCsv('id,householdId,model\nx-3,h-x,shelly-dw2\n')).status).toBe(201);
    expect((await svc.api('GET', '/api/seals/x-3')).body).toMatchObject({
      model: 'shelly-dw2',
      offlineAfter: 51_840_000,
    });
    expect((await svc.api('GET', '/api/sensors/native-1')).body.model).toBe('generic');

    const models = (await svc.api('GET', '/api/models')).body.items as Array<Record<string, unknown>>;
    expect(models.find((m) => m.id === 'generic')).toMatchObject({
      heartbeatInterval: '1s',
      missedHeartbeats: 3,
      offlineAfter: 3_000,
      builtIn: true,
    });
    const generic = await svc.api('PATCH', '/api/models/generic', { heartbeatInterval: '1h' });
    expect(generic.status).toBe(400);
    expect(generic.body.error.message).toContain('HEARTBEAT_INTERVAL');
    expect((await svc.api('POST', '/api/models', { id: 'generic', heartbeatInterval: '1h' })).status).toBe(
      409,
    );
    expect((await svc.api('POST', '/api/models', { id: 'bad', heartbeatInterval: 'soon' })).status).toBe(400);
  });

  it("a model's new interval applies to its seals at once, without a restart", async () => {
    const created = await must(
      svc,
      'POST',
      '/api/models',
      { id: 'tunable', name: 'tunable', heartbeatInterval: '1h', missedHeartbeats: 1 },
      201,
    );
    expect(created).toMatchObject({
      heartbeatIntervalMs: 3_600_000,
      offlineAfter: 3_600_000,
      builtIn: false,
    });
    const s = await provisionArmedSensor(svc, { sensor: 'tune-1', grid: 'g1', model: 'tunable' });
    await heartbeat(s);
    const pid = svc.pid;
    await sleep(4_000);
    expect(await offlineAlertOf('tune-1')).toBeUndefined();

    const patched = await must(svc, 'PATCH', '/api/models/tunable', { heartbeatInterval: '2s' }, 200);
    expect(patched).toMatchObject({ heartbeatInterval: '2s', offlineAfter: 2_000 });
    expect((await svc.api('GET', '/api/seals/tune-1')).body.offlineAfter).toBe(2_000);
    await eventually(
      async () => (await offlineAlertOf('tune-1')) !== undefined,
      8_000,
      'offline per new interval',
    );
    expect(svc.pid).toBe(pid);
    // The change is in the audit trail, with who made it and the numbers before and after.
    const trail = (await svc.api('GET', '/api/audit?entity=sensorModel&id=tunable')).body;
    expect(trail.map((e: { action: string }) => e.action)).toEqual(['update', 'create']);
    expect(trail[0].before).toMatchObject({ heartbeatIntervalMs: 3_600_000 });
    expect(trail[0].after).toMatchObject({ heartbeatIntervalMs: 2_000 });
    expect(typeof trail[0].actor).toBe('string');
    // The edit is stored: a restart keeps it.
    await svc.restart();
    expect(
      (await svc.api('GET', '/api/models')).body.items.find((m: { id: string }) => m.id === 'tunable'),
    ).toMatchObject({ heartbeatIntervalMs: 2_000, missedHeartbeats: 1 });
  }, 40_000);

  it('a heartbeat of a model whose heartbeat does not carry the door changes no door; a generic one does', async () => {
    await must(
      svc,
      'POST',
      '/api/models',
      { id: 'beat-only', heartbeatInterval: '1h', heartbeatCarriesDoor: false },
      201,
    );
    const quiet = await provisionArmedSensor(svc, { sensor: 'beat-1', grid: 'g1', model: 'beat-only' });
    const plain = await provisionArmedSensor(svc, { sensor: 'plain-1', grid: 'g1', household: 'h-plain' });
    for (const s of [quiet, plain]) {
      const c = await connectSensor(svc.mqttUrl, s.sensorId, s.secret);
      await c.publishAsync(`seal/${s.sensorId}/heartbeat`, heartbeatPayload(1, 'open'), { qos: 1 });
      await c.endAsync();
    }
    // Both were heard (battery, last seen); only the generic seal's heartbeat is a door observation.
    expect((await svc.api('GET', '/api/seals/beat-1')).body).toMatchObject({ door: 'unknown', battery: 90 });
    expect((await svc.api('GET', '/api/seals/plain-1')).body).toMatchObject({ door: 'open', battery: 90 });
    const breaches = ((await svc.api('GET', '/api/alerts?status=open')).body as Alert[]).filter(
      (a) => a.type === 'breach',
    );
    expect(breaches.map((a) => a.sensorId)).toEqual(['plain-1']);
  });

  it("after a restart each seal gets its own model's start-up grace", async () => {
    await must(
      svc,
      'POST',
      '/api/models',
      { id: 'slow6', heartbeatInterval: '6s', missedHeartbeats: 1 },
      201,
    );
    const slow = await provisionArmedSensor(svc, { sensor: 'slow-1', grid: 'g2', model: 'slow6' });
    const generic = await provisionArmedSensor(svc, { sensor: 'native-2', grid: 'g2', household: 'h-n2' });
    await heartbeat(slow);
    await sleep(4_000);
    await heartbeat(generic);
    const beforeRestart = Date.now();
    await svc.restart();
    // Without a per-model grace the slow seal's deadline would be its last beat + 6 s (about 2 s
    // after the restart), its alert one interval later; with it, 6 s after the start, then the hold.
    await eventually(async () => (await offlineAlertOf('native-2')) !== undefined, 15_000, 'generic offline');
    expect(await offlineAlertOf('slow-1')).toBeUndefined();
    await eventually(async () => (await offlineAlertOf('slow-1')) !== undefined, 25_000, 'slow offline');
    const alert = (await offlineAlertOf('slow-1'))!;
    expect(Date.parse(alert.openedAt) - beforeRestart).toBeGreaterThanOrEqual(12_000);
  }, 60_000);
});
