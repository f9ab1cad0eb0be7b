/**
 * Issue 16.6, NB-IoT seals through the carrier platforms, against the running service. A test
 * double (test/helpers/carrierPlatformDouble.ts) plays the platforms' documented pushes over HTTP:
 * - China Telecom CTWing (AEP) subscription push, https://www.ctwing.cn/dyts/103 (订阅推送):
 *   dataReport (payload.APPdata, base64) and deviceOnlineOfflineReport (eventType 1/0).
 * - China Mobile OneNET data push,
 *   https://open.iot.10086.cn/doc/book/application-develop/httppush/develop-manual.html and
 *   https://open.iot.10086.cn/doc/nb-iot/book/manual/httppush/develop-manual.html: URL verification
 *   (GET msg/nonce/signature → msg) and {"msg","msg_signature","nonce"} with
 *   msg_signature = Base64(MD5(token + nonce + msg)), msg type 1 (datapoint) and 2 (online/offline).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CtwingPlatformDouble, OnenetPlatformDouble } from '../../helpers/carrierPlatformDouble.ts';
import { eventually } from '../../helpers/eventually.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { connectSensor, eventPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';

/** A CTWing device id (32 hex digits), registered as the sensor id itself. */
const CT_DEVICE = '44d0b9e48d404094bbbcf889e4e64ece';
/** A OneNET device id (a number), mapped to our sensor id 'on-1'. */
const ON_DEVICE = 1061234;

describe('NB-IoT seals through CTWing and OneNET pushes', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let ctwing: CtwingPlatformDouble;
  let onenet: OnenetPlatformDouble;
  let ctToken: string;
  let onToken: string;
  let mqttSecret: string;
  const seal = async (id: string) => (await svc.api('GET', `/api/seals/${id}`)).body;
  const metrics = async () => (await svc.api('GET', '/metrics', undefined, null)).body as string;
  const pushes = async (platform: string, result: string) =>
    metricValue(await metrics(), 'sealwatch_platform_push_total', { platform, result });
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
  const alertsOf = async (sensorId: string): Promise<any[]> =>
    ((await svc.api('GET', '/api/alerts?status=open')).body as Array<{ sensorId?: string }>).filter(
      (a) => a.sensorId === sensorId,
    );

  beforeAll(async () => {
    svc = await startService();
    await svc.api('POST', '/api/grid', { id: 'village', name: '东村', parentId: null, level: 'village' });
    await svc.api('POST', '/api/workers', { id: 'w1', name: '王', gridId: 'village', role: 'worker' });
    for (const id of ['mq-1', CT_DEVICE, 'on-1', 'on-2']) {
      await svc.api('POST', '/api/households', { id: `h-${id}`, gridId: 'village', address: `${id} 号` });
      await svc.api('POST', '/api/quarantines', {
        householdId: `h-${id}`,
        start: new Date(Date.now() - 60_000).toISOString(),
      });
      const sensor = await svc.api('POST', '/api/sensors', { id, householdId: `h-${id}` });
      expect(sensor.status).toBe(201);
      if (id === 'mq-1') mqttSecret = sensor.body.secret;
    }
    const ct = await svc.api('POST', '/api/platform-apps', {
      id: 'ct-app',
      platform: 'ctwing',
      name: '电信 AEP 门磁产品',
      sensorIds: [CT_DEVICE],
    });
    expect(ct.status).toBe(201);
    ctToken = ct.body.token;
    const on = await svc.api('POST', '/api/platform-apps', {
      id: 'on-app',
      platform: 'onenet',
      name: '移动 OneNET 门磁产品',
      sensorIds: ['on-1'],
      devices: { [String(ON_DEVICE)]: 'on-1' },
    });
    expect(on.status).toBe(201);
    onToken = on.body.token;
    expect(onToken).toMatch(/^[0-9a-f]{32}$/);
    ctwing = new CtwingPlatformDouble(svc.httpUrl, 'ct-app', ctToken);
    onenet = new OnenetPlatformDouble(svc.httpUrl, 'on-app', onToken);
  });
  afterAll(async () => svc?.cleanup());

  it('the token is shown once: never in the list, nor in the logs', async () => {
    const list = await svc.api('GET', '/api/platform-apps');
    expect(list.status).toBe(200);
    expect(list.body.items.map((a: { id: string }) => a.id).sort()).toEqual(['ct-app', 'on-app']);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(ctToken);
    expect(text).not.toContain(onToken);
    expect(list.body.items.find((a: { id: string }) => a.id === 'on-app').devices).toEqual({
      [String(ON_DEVICE)]: 'on-1',
    });
  });

  it("OneNET's URL verification echoes msg for the right token, and is refused (401, counted) for another", async () => {
    const good = onenet.verifyUrl();
    const answer = await good.answer;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(good.msg);
    const bad = await onenet.verifyUrl({ token: 'not-our-token' }).answer;
    expect(bad.status).toBe(401);
    expect(await pushes('onenet', 'bad_signature')).toBe(1);
  });

  it('a CTWing push and a OneNET push of an open raise the same breach as an MQTT message', async () => {
    const sensor = await connectSensor(svc.mqttUrl, 'mq-1', mqttSecret);
    await sensor.publishAsync('seal/mq-1/event', eventPayload('open', 1), { qos: 1 });
    await sensor.endAsync();
    const ct = await ctwing.dataReport(CT_DEVICE, { type: 'open', ts: Date.now(), seq: 1 });
    expect(ct).toEqual({ status: 200, body: { accepted: 1 } });
    const on = await onenet.datapoint(ON_DEVICE, { type: 'open', ts: Date.now(), seq: 1 });
    expect(on).toEqual({ status: 200, body: { accepted: 1 } });

    // The 200 came after the commit: the door is already open, and the breach follows at once.
    expect((await seal(CT_DEVICE)).door).toBe('open');
    expect((await seal('on-1')).door).toBe('open');
    await eventually(async () => (await alertsOf('mq-1')).length === 1);
    await eventually(async () => (await alertsOf(CT_DEVICE)).length === 1);
    await eventually(async () => (await alertsOf('on-1')).length === 1);
    const shape = ({ type, severity, status, count, assignee, gridId }: Record<string, unknown>) => ({
      type,
      severity,
      status,
      count,
      assignee,
      gridId,
    });
    const mqtt = shape((await alertsOf('mq-1'))[0]);
    expect(mqtt).toEqual({
      type: 'breach',
      severity: 'critical',
      status: 'open',
      count: 1,
      assignee: 'w1',
      gridId: 'village',
    });
    expect(shape((await alertsOf(CT_DEVICE))[0])).toEqual(mqtt);
    expect(shape((await alertsOf('on-1'))[0])).toEqual(mqtt);
    expect(await pushes('ctwing', 'accepted')).toBe(1);
    expect(await pushes('onenet', 'accepted')).toBe(1);
    const text = await metrics();
    expect(metricValue(text, 'sealwatch_messages_total', { dialect: 'ctwing' })).toBe(1);
    expect(metricValue(text, 'sealwatch_messages_total', { dialect: 'onenet' })).toBe(1);
  });

  it('a retried push (the same bytes again) is taken and changes nothing', async () => {
    const duplicates = () =>
      metrics().then((t) => metricValue(t, 'sealwatch_messages_rejected_total', { reason: 'duplicate' }));
    const before = { dup: await duplicates(), ct: await seal(CT_DEVICE), on: await seal('on-1') };
    const alertsBefore = { ct: await alertsOf(CT_DEVICE), on: await alertsOf('on-1') };
    expect(await ctwing.retry()).toEqual({ status: 200, body: { accepted: 1 } });
    expect(await onenet.retry()).toEqual({ status: 200, body: { accepted: 1 } });
    expect(await seal(CT_DEVICE)).toEqual(before.ct);
    expect(await seal('on-1')).toEqual(before.on);
    expect(await alertsOf(CT_DEVICE)).toEqual(alertsBefore.ct);
    expect(await alertsOf('on-1')).toEqual(alertsBefore.on);
    expect(await duplicates()).toBe(before.dup + 2);
  });

  it('a push with a bad signature or token is refused (401), changes nothing and is counted', async () => {
    const before = { ct: await seal(CT_DEVICE), on: await seal('on-1') };
    const badOnBefore = await pushes('onenet', 'bad_signature');
    const closeOn = await onenet.datapoint(
      ON_DEVICE,
      { type: 'close', ts: Date.now(), seq: 2 },
      { token: 'forged' },
    );
    expect(closeOn.status).toBe(401);
    expect(closeOn.body.error).toMatchObject({
      code: 'unauthorized',
      message: 'onenet push refused: msg_signature does not match',
    });
    const closeCt = await ctwing.dataReport(
      CT_DEVICE,
      { type: 'close', ts: Date.now(), seq: 2 },
      { token: 'forged' },
    );
    expect(closeCt.status).toBe(401);
    expect(await seal(CT_DEVICE)).toEqual(before.ct);
    expect(await seal('on-1')).toEqual(before.on);
    expect(await pushes('onenet', 'bad_signature')).toBe(badOnBefore + 1);
    expect(await pushes('ctwing', 'bad_signature')).toBe(1);
    // No token in any log line, whatever was refused.
    const logText = JSON.stringify(svc.logs);
    expect(logText).not.toContain(ctToken);
    expect(logText).not.toContain(onToken);
  });

  it("OneNET's signature covers msg as sent, spaces included", async () => {
    const answer = await onenet.datapoint(
      ON_DEVICE,
      { ts: Date.now(), seq: 3, door: 'open', battery: 88, rssi: -97 },
      { spaced: true },
    );
    expect(answer).toEqual({ status: 200, body: { accepted: 1 } });
    expect((await seal('on-1')).battery).toBe(88);
  });

  it('refuses an unknown application (404), a device the application may not speak for (403), an unreadable push (400)', async () => {
    const before = await seal('on-2');
    const stranger = new OnenetPlatformDouble(svc.httpUrl, 'nobody', onToken);
    expect((await stranger.datapoint(ON_DEVICE, { type: 'open', ts: Date.now(), seq: 9 })).status).toBe(404);
    // on-2 is registered, but not one of on-app's sensors.
    const other = await onenet.datapoint(999, { type: 'open', ts: Date.now(), seq: 9 });
    expect(other.status).toBe(403);
    expect((await ctwing.dataReport('on-2', { type: 'open', ts: Date.now(), seq: 9 })).status).toBe(403);
    expect((await ctwing.raw('{"messageType":"dataReport","deviceId":"x"}')).status).toBe(400);
    expect((await ctwing.dataReport(CT_DEVICE, { type: 'ajar', ts: Date.now(), seq: 9 })).status).toBe(400);
    // An application of one platform is unknown on the other's URL.
    expect((await new CtwingPlatformDouble(svc.httpUrl, 'on-app', onToken).raw('{}')).status).toBe(404);
    expect(await seal('on-2')).toEqual(before);
    expect(await pushes('onenet', 'unknown_app')).toBe(1);
    expect(await pushes('onenet', 'unknown_device')).toBe(1);
    expect(await pushes('ctwing', 'unknown_device')).toBe(1);
    expect(await pushes('ctwing', 'malformed')).toBe(2);
  });

  it("the platforms' offline events act as a lost connection, online events as a connect; retries change nothing", async () => {
    const at = Date.now();
    expect((await ctwing.onlineOffline(CT_DEVICE, false, at)).status).toBe(200);
    expect((await onenet.onlineOffline(ON_DEVICE, false, at)).status).toBe(200);
    const offline = { ct: await seal(CT_DEVICE), on: await seal('on-1') };
    expect(offline.ct.online).toBe(false);
    expect(offline.on.online).toBe(false);
    // The same event again (the platform's retry) is a duplicate.
    await new Promise((r) => setTimeout(r, 20));
    expect((await ctwing.retry()).status).toBe(200);
    expect((await onenet.retry()).status).toBe(200);
    expect(await seal(CT_DEVICE)).toEqual(offline.ct);
    expect(await seal('on-1')).toEqual(offline.on);

    expect((await ctwing.onlineOffline(CT_DEVICE, true, at + 1000)).status).toBe(200);
    expect((await onenet.onlineOffline(ON_DEVICE, true, at + 1000)).status).toBe(200);
    expect((await seal(CT_DEVICE)).online).toBe(true);
    expect((await seal('on-1')).online).toBe(true);
  });

  it('a deleted application is refused at once; creating and deleting are audited, never with the token', async () => {
    const removed = await svc.api('DELETE', '/api/platform-apps/ct-app');
    expect(removed.status).toBe(200);
    expect(removed.body.token).toBeUndefined();
    const audit = await svc.api('GET', '/api/audit?entity=platformApp');
    expect(audit.body.map((e: { id: string; action: string }) => `${e.action} ${e.id}`)).toEqual([
      'delete ct-app',
      'create on-app',
      'create ct-app',
    ]);
    expect(JSON.stringify(audit.body)).not.toContain(ctToken);
    expect(JSON.stringify(audit.body)).not.toContain(onToken);
    expect((await ctwing.dataReport(CT_DEVICE, { type: 'close', ts: Date.now(), seq: 20 })).status).toBe(404);
  });
});
