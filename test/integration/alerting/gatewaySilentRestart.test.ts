/**
 * A silent gateway across a kill -9 of the service (issue 16.2, restart safety): what a bridge said
 * is kept, and a gateway that never comes back after the restart is found after the start-up grace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { BRIDGE_STATE, names, OFFLINE, sleep, startGatewayRig } from './gatewayRig.ts';

describe('a silent gateway across a restart', () => {
  let rig: Awaited<ReturnType<typeof startGatewayRig>>;
  beforeAll(async () => {
    rig = await startGatewayRig();
  });
  afterAll(async () => rig?.close());

  it('the bridge said offline, the service died before the alert was due: after the restart it comes, as the bridge’s alert, and none per sensor', async () => {
    await rig.provisionGateway('gw-r1', 'v1');
    const gw = await rig.bridge('gw-r1');
    for (const name of names('gw-r1')) await rig.report(gw, name);
    const recorded = rig.svc.waitForLog((l) => l.msg === 'gateway offline' && l.gatewayId === 'gw-r1');
    await gw.publishAsync(BRIDGE_STATE, OFFLINE, { qos: 1, retain: true });
    await recorded;
    // Well within the 3 s the bridge is given to come back: no alert yet when the service dies.
    expect(await rig.gatewayAlerts('gw-r1')).toEqual([]);
    await rig.svc.kill();
    gw.end(true);
    await rig.svc.restart();

    await eventually(async () => (await rig.gatewayAlerts('gw-r1')).length > 0, 15_000, 'gateway alert');
    const [alert] = await rig.gatewayAlerts('gw-r1');
    expect(await rig.causeOf(alert!.id)).toBe('gatewayOffline');
    await rig.hook.waitFor((r) => r.path === '/leader' && r.json?.data?.alertId === alert!.id);
    await sleep(5_000);
    expect(await rig.offlineOf('gw-r1')).toEqual([]);
    expect(await rig.gatewayAlerts('gw-r1')).toHaveLength(1);
  });

  it('a gateway connected when the service died, that does not come back: one alert after the start-up grace, none per sensor', async () => {
    await rig.provisionGateway('gw-r2', 'v2');
    const gw = await rig.bridge('gw-r2');
    for (const name of names('gw-r2')) await rig.report(gw, name);
    // SIGKILL: the broker goes with the service, so nobody publishes the bridge's will.
    await rig.svc.kill();
    gw.end(true);
    await rig.svc.restart();
    const restarted = Date.now();

    await eventually(async () => (await rig.gatewayAlerts('gw-r2')).length > 0, 15_000, 'gateway alert');
    const [alert, ...more] = await rig.gatewayAlerts('gw-r2');
    expect(more).toEqual([]);
    expect(alert).toMatchObject({ type: 'outage', gridId: 'v2', status: 'open' });
    expect(await rig.causeOf(alert!.id)).toBe('sensorsSilent');
    // The start-up grace (one window, 3 s) holds it back like any silence we could not observe.
    expect(Date.parse(alert!.openedAt) - restarted).toBeGreaterThanOrEqual(2_500);
    await sleep(3_000);
    expect(await rig.offlineOf('gw-r2')).toEqual([]);
  });
});
