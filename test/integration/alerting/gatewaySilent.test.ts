/**
 * A gateway that goes silent is one alert (issue 16.2), through the real service and real MQTT: a
 * Zigbee2MQTT bridge with three contact sensors under HEARTBEAT_INTERVAL=1s (gatewayRig.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { heartbeatPayload } from '../../helpers/mqtt.ts';
import { BRIDGE_STATE, names, OFFLINE, ONLINE, sensorOf, sleep, startGatewayRig } from './gatewayRig.ts';

describe('a gateway that goes silent is one alert', () => {
  let rig: Awaited<ReturnType<typeof startGatewayRig>>;
  beforeAll(async () => {
    rig = await startGatewayRig();
  });
  afterAll(async () => rig?.close());

  it('the bridge says offline: one gateway alert to the leader and the technician, no alert per sensor; back online it resolves, and a sensor still silent gets its own alert only after its own window', async () => {
    await rig.provisionGateway('gw-a', 'v1');
    const gw = await rig.bridge('gw-a');
    for (const name of names('gw-a')) await rig.report(gw, name);
    await gw.publishAsync(BRIDGE_STATE, OFFLINE, { qos: 1, retain: true });
    const saidOffline = Date.now();
    await eventually(
      async () => (await rig.gatewayAlerts('gw-a')).length > 0,
      15_000,
      'gateway alert raised',
    );
    const [alert, ...more] = await rig.gatewayAlerts('gw-a');
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      type: 'outage',
      gatewayId: 'gw-a',
      gridId: 'v1',
      severity: 'critical',
      status: 'open',
      assignee: 'l-v1',
    });
    expect(await rig.causeOf(alert!.id)).toBe('gatewayOffline');
    // It waits one offline window (3 s) for the bridge to come back: a restart is no alert.
    expect(Date.parse(alert!.openedAt) - saidOffline).toBeGreaterThanOrEqual(2_500);
    await rig.hook.waitFor((r) => r.path === '/leader' && r.json?.data?.alertId === alert!.id);
    await rig.hook.waitFor((r) => r.path === '/tech' && r.json?.data?.alertId === alert!.id);
    // The seals behind it show as not online while their gateway is gone.
    expect((await rig.svc.api('GET', `/api/seals/${sensorOf('gw-a/door-1')}`)).body.online).toBe(false);

    // Well past every sensor's window and hold: still no offline alert of their own.
    await sleep(5_000);
    expect(await rig.offlineOf('gw-a')).toEqual([]);
    expect(await rig.gatewayAlerts('gw-a')).toHaveLength(1);
    expect(rig.hook.received.filter((r) => r.path === '/worker')).toEqual([]);

    // Back: the alert resolves by itself. Two sensors speak again; the third stays silent.
    await gw.publishAsync(BRIDGE_STATE, ONLINE, { qos: 1, retain: true });
    const back = Date.now();
    await rig.report(gw, 'gw-a/door-1');
    await rig.report(gw, 'gw-a/door-2');
    await eventually(
      async () => (await rig.svc.api('GET', `/api/alerts/${alert!.id}`)).body.status === 'resolved',
      10_000,
      'gateway alert resolved',
    );
    expect((await rig.svc.api('GET', `/api/alerts/${alert!.id}`)).body.autoResolveReason).toBe('backOnline');
    const keepTalking = setInterval(() => {
      void rig.report(gw, 'gw-a/door-1').catch(() => {});
      void rig.report(gw, 'gw-a/door-2').catch(() => {});
    }, 500);
    try {
      await eventually(
        async () => (await rig.offlineOf('gw-a')).length > 0,
        15_000,
        'the silent sensor’s own alert',
      );
      const own = await rig.offlineOf('gw-a');
      expect(own.map((a) => a.sensorId)).toEqual([sensorOf('gw-a/door-3')]);
      // Its own window (3 s) from the gateway's return, not from its last message long before.
      expect(Date.parse(own[0]!.openedAt) - back).toBeGreaterThanOrEqual(2_500);
      expect(own[0]).toMatchObject({ assignee: 'w-v1' });
    } finally {
      clearInterval(keepTalking);
      await gw.endAsync();
    }
  });

  it('the bridge restarts (offline, online within the hold): no alert at all, and its sensors get a fresh window from its return', async () => {
    await rig.provisionGateway('gw-d', 'v1');
    const gw = await rig.bridge('gw-d');
    for (const name of names('gw-d')) await rig.report(gw, name);
    // The sensors' own windows (3 s) run out while the bridge is away; the bridge's hold (3 s) does not.
    await sleep(2_000);
    await gw.publishAsync(BRIDGE_STATE, OFFLINE, { qos: 1, retain: true });
    await sleep(2_000);
    await gw.publishAsync(BRIDGE_STATE, ONLINE, { qos: 1, retain: true });
    // Only the first sensor speaks for a while: its siblings are within their fresh window.
    for (let i = 0; i < 5; i++) {
      await rig.report(gw, 'gw-d/door-1');
      await sleep(500);
    }
    expect(await rig.offlineOf('gw-d')).toEqual([]);
    expect(await rig.gatewayAlerts('gw-d')).toEqual([]);
    await gw.endAsync();
  });

  it('its connection is lost (killed, no DISCONNECT): the broker publishes its will, and it is the same one alert', async () => {
    await rig.provisionGateway('gw-b', 'v2');
    const gw = await rig.bridge('gw-b');
    for (const name of names('gw-b')) await rig.report(gw, name);
    gw.stream.destroy();
    await eventually(
      async () => (await rig.gatewayAlerts('gw-b')).length > 0,
      15_000,
      'gateway alert raised',
    );
    expect(await rig.gatewayAlerts('gw-b')).toMatchObject([
      { type: 'outage', gatewayId: 'gw-b', gridId: 'v2', status: 'open' },
    ]);
    expect(await rig.causeOf((await rig.gatewayAlerts('gw-b'))[0]!.id)).toBe('gatewayOffline');
    await sleep(4_000);
    expect(await rig.offlineOf('gw-b')).toEqual([]);
    expect(await rig.gatewayAlerts('gw-b')).toHaveLength(1);

    // It reconnects (Zigbee2MQTT says online on every connect): resolved.
    const again = await rig.bridge('gw-b');
    for (const name of names('gw-b')) await rig.report(again, name);
    const [alert] = await rig.gatewayAlerts('gw-b');
    await eventually(
      async () => (await rig.svc.api('GET', `/api/alerts/${alert!.id}`)).body.status === 'resolved',
      10_000,
      'gateway alert resolved',
    );
    await again.endAsync();
  });

  it('a gateway that goes without a word (no will) is found from its sensors’ silence: one alert, none per sensor', async () => {
    await rig.provisionGateway('gw-c', 'v3');
    const gw = await rig.bridge('gw-c', { will: false });
    // Native protocol through the gateway, as a LoRa or NB-IoT gateway speaks for its seals.
    for (const [i, name] of names('gw-c').entries())
      await gw.publishAsync(`seal/${sensorOf(name)}/heartbeat`, heartbeatPayload(i + 1, 'closed'), {
        qos: 1,
      });
    gw.stream.destroy();
    await eventually(
      async () => (await rig.gatewayAlerts('gw-c')).length > 0,
      15_000,
      'gateway alert raised',
    );
    expect(await rig.gatewayAlerts('gw-c')).toMatchObject([
      { type: 'outage', gatewayId: 'gw-c', gridId: 'v3', status: 'open' },
    ]);
    expect(await rig.causeOf((await rig.gatewayAlerts('gw-c'))[0]!.id)).toBe('sensorsSilent');
    await sleep(3_000);
    expect(await rig.offlineOf('gw-c')).toEqual([]);
  });
});
