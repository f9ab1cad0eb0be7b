import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { closed, connectRefusal, connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';

/**
 * Issue 16.5 through the running service and real MQTT: a technician swaps a seal (the new one
 * takes over the door, the old one's alerts resolve as sensorReplaced, its secret is refused, the
 * household's door history is unbroken, gateway memberships follow), and a new battery re-arms the
 * low-battery alert, by the technician's word or by a reading above 90 % after a low one.
 */
describe('sensors replaced, batteries renewed', () => {
  let svc: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.cleanup());

  interface AlertRow {
    id: string;
    type: string;
    sensorId?: string;
    status: string;
    autoResolveReason?: string;
  }
  const alertsOf = async (sensorId: string, type: string): Promise<AlertRow[]> =>
    ((await svc.api('GET', `/api/alerts?type=${type}&limit=1000`)).body as AlertRow[]).filter(
      (a) => a.sensorId === sensorId,
    );
  /** Waits for the first alert `pick` finds among the sensor's alerts of that type, and answers it. */
  const waitForAlert = async (
    sensorId: string,
    type: string,
    pick: (a: AlertRow) => boolean,
    what: string,
  ): Promise<AlertRow> => {
    let found: AlertRow | undefined;
    await eventually(
      async () => {
        found = (await alertsOf(sensorId, type)).find(pick);
        return found !== undefined;
      },
      10_000,
      what,
    );
    return found as AlertRow;
  };
  const openAlert = (sensorId: string, type: string) =>
    waitForAlert(sensorId, type, (a) => a.status !== 'resolved', `an open ${type} alert of ${sensorId}`);
  const alert = async (id: string) => (await svc.api('GET', `/api/alerts/${id}`)).body as AlertRow;

  it('the new seal takes over the door; the old one is gone, its alerts resolved as replaced', async () => {
    const old = await provisionArmedSensor(svc, { sensor: 'seal-old', household: 'h-rep', grid: 'g-rep' });
    const gw = await svc.api('POST', '/api/gateways', {
      id: 'gw-rep',
      name: '楼道网关',
      sensorIds: ['seal-old'],
    });
    expect(gw.status).toBe(201);
    expect((await svc.api('PATCH', '/api/sensors/seal-old', { friendlyName: 'rep_door' })).status).toBe(200);

    const oldClient = await connectSensor(svc.mqttUrl, 'seal-old', old.secret);
    await oldClient.publishAsync('seal/seal-old/event', eventPayload('open', 1), { qos: 1 });
    await oldClient.publishAsync('seal/seal-old/heartbeat', heartbeatPayload(2, 'open', 8), { qos: 1 });
    const breach = await openAlert('seal-old', 'breach');
    const lowBattery = await openAlert('seal-old', 'lowBattery');

    const refusedModel = await svc.api('POST', '/api/sensors/seal-old/replace', {
      newId: 'x',
      model: 'nope',
    });
    expect(refusedModel.status).toBe(400);
    expect((await svc.api('POST', '/api/sensors/seal-none/replace', { newId: 'x' })).status).toBe(404);
    expect((await svc.api('POST', '/api/sensors/seal-old/replace', { newId: 'gw-rep' })).status).toBe(409);

    const sessionEnds = closed(oldClient);
    const replaced = await svc.api('POST', '/api/sensors/seal-old/replace', { newId: 'seal-new' });
    expect(replaced.status).toBe(201);
    expect(replaced.body).toMatchObject({
      id: 'seal-new',
      householdId: 'h-rep',
      model: 'generic',
      friendlyName: 'rep_door',
      replaced: 'seal-old',
    });
    const secret = replaced.body.secret as string;
    expect(secret).toMatch(/.{16,}/);
    await sessionEnds;

    // The old seal: its alerts closed as replaced, naming the new one; gone from the registry.
    for (const a of [breach, lowBattery]) {
      expect(await alert(a.id)).toMatchObject({ status: 'resolved', autoResolveReason: 'sensorReplaced' });
    }
    const detail = (await svc.api('GET', `/api/alerts/${breach.id}`)).body;
    expect(JSON.stringify(detail)).toContain('seal-new');
    expect((await svc.api('GET', '/api/sensors/seal-old')).status).toBe(404);
    expect((await svc.api('GET', '/api/seals/seal-old')).status).toBe(404);
    for (const username of ['seal-old', 'seal-new']) {
      expect(
        await connectRefusal(svc.mqttUrl, { clientId: username, username, password: old.secret }),
      ).toMatch(/code 4|code 5|Bad user|Not authorized/i);
    }

    // The gateway carries the new seal; the audit trail says who replaced what.
    const gateways = (await svc.api('GET', '/api/gateways')).body.items as Array<{
      id: string;
      sensorIds: string[];
    }>;
    expect(gateways.find((g) => g.id === 'gw-rep')?.sensorIds).toEqual(['seal-new']);
    const audit = (await svc.api('GET', '/api/audit?entity=sensor&id=seal-old')).body;
    expect(audit[0]).toMatchObject({ action: 'replace', entity: 'sensor', id: 'seal-old' });
    expect(JSON.stringify(audit[0])).not.toContain(secret);
    const auditNew = (await svc.api('GET', '/api/audit?entity=sensor&id=seal-new')).body;
    expect(auditNew[0]).toMatchObject({ action: 'replaces', id: 'seal-new' });

    // The new seal: armed with the household, unknown until it reports, then live.
    const before = (await svc.api('GET', '/api/seals/seal-new')).body;
    expect(before).toMatchObject({ householdId: 'h-rep', door: 'unknown', armed: true });
    const newClient = await connectSensor(svc.mqttUrl, 'seal-new', secret);
    await newClient.publishAsync('seal/seal-new/event', eventPayload('close', 1), { qos: 1 });
    await newClient.publishAsync('seal/seal-new/heartbeat', heartbeatPayload(2, 'closed', 100), { qos: 1 });
    await eventually(
      async () => (await svc.api('GET', '/api/seals/seal-new')).body.door === 'closed',
      10_000,
      'the new seal reports closed',
    );
    expect((await svc.api('GET', '/api/seals/seal-new')).body).toMatchObject({ online: true, battery: 100 });

    // The household's door history is unbroken: the old seal's opening, the new seal's closing.
    const history = (await svc.api('GET', '/api/households/h-rep/history')).body.items as Array<{
      sensorId: string;
      type: string;
    }>;
    expect(history.map((e) => `${e.sensorId}:${e.type}`)).toEqual(['seal-new:close', 'seal-old:open']);
    await newClient.endAsync();

    // It survives a restart: the new seal logs in, the old one still does not.
    await svc.restart();
    const again = await connectSensor(svc.mqttUrl, 'seal-new', secret);
    await again.endAsync();
    expect(
      await connectRefusal(svc.mqttUrl, { clientId: 'seal-old', username: 'seal-old', password: old.secret }),
    ).toMatch(/code 4|code 5|Bad user|Not authorized/i);
    expect((await alertsOf('seal-new', 'breach')).length).toBe(0);
  });

  it("replacement is scoped like the sensor routes: another grid's technician gets 404", async () => {
    await provisionArmedSensor(svc, { sensor: 'seal-scope', grid: 'g-scope' });
    await svc.api('POST', '/api/grid', { id: 'g-elsewhere', name: 'x', parentId: null, level: 'county' });
    const token = (
      await svc.api('POST', '/api/tokens', {
        role: 'technician',
        gridId: 'g-elsewhere',
        name: 'tech-elsewhere',
      })
    ).body.token as string;
    const refused = await svc.api(
      'POST',
      '/api/sensors/seal-scope/replace',
      { newId: 'seal-scope-2' },
      token,
    );
    expect(refused.status).toBe(404);
    const monitor = (
      await svc.api('POST', '/api/tokens', { role: 'monitor', gridId: 'g-scope', name: 'mon' })
    ).body.token as string;
    expect(
      (await svc.api('POST', '/api/sensors/seal-scope/replace', { newId: 'seal-scope-2' }, monitor)).status,
    ).toBe(403);
    expect((await svc.api('GET', '/api/sensors/seal-scope')).status).toBe(200);
  });

  it('a new battery re-arms the low-battery alert: by the technician, or by a reading above 90 %', async () => {
    const s = await provisionArmedSensor(svc, { sensor: 'seal-bat', grid: 'g-bat' });
    const client: MqttClient = await connectSensor(svc.mqttUrl, 'seal-bat', s.secret);
    let seq = 0;
    const beat = (battery: number) =>
      client.publishAsync('seal/seal-bat/heartbeat', heartbeatPayload(++seq, 'closed', battery), { qos: 1 });
    const lowAlerts = () => alertsOf('seal-bat', 'lowBattery');

    await beat(12);
    const first = await openAlert('seal-bat', 'lowBattery');
    // Once per battery: still low, nothing new.
    await beat(11);
    expect(await lowAlerts()).toHaveLength(1);

    const renewed = await svc.api('POST', '/api/sensors/seal-bat/battery');
    expect(renewed.status).toBe(200);
    expect(renewed.body).toEqual({ sensorId: 'seal-bat', resolvedAlertId: first.id });
    expect(await alert(first.id)).toMatchObject({ status: 'resolved', autoResolveReason: 'batteryReplaced' });
    // Said twice: nothing open, nothing to do.
    expect((await svc.api('POST', '/api/sensors/seal-bat/battery')).body.resolvedAlertId).toBeNull();

    // Re-armed: the next low reading alerts again.
    await beat(15);
    const second = await waitForAlert(
      'seal-bat',
      'lowBattery',
      (a) => a.status === 'open' && a.id !== first.id,
      'a second low-battery alert',
    );

    // A warm battery climbing to 60 % is no new battery; a reading of 95 % is.
    await beat(60);
    await beat(15);
    expect(await alert(second.id)).toMatchObject({ status: 'open' });
    await beat(95);
    await eventually(
      async () => (await alert(second.id)).autoResolveReason === 'batteryReplaced',
      10_000,
      'the jump above 90 % resolves the alert',
    );
    await beat(14);
    await eventually(
      async () => (await lowAlerts()).filter((a) => a.status === 'open').length === 1,
      10_000,
      'a third low-battery alert after the jump re-armed it',
    );
    expect(await lowAlerts()).toHaveLength(3);
    await client.endAsync();
  });
});
