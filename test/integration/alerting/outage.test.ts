/**
 * Ten seals under one grid node fall silent together (a power cut in the village): one outage
 * alert at that node, to its leader and the technicians, and no offline alert for each seal.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { connectSensor, heartbeatPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { must } from './grid.ts';

type Alert = {
  id: string;
  type: string;
  gridId: string;
  sensorId?: string;
  openedAt: string;
  status: string;
};

describe('outage: many seals silent at once', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let hook: WebhookReceiver;
  const alive: MqttClient[] = [];
  let beat: NodeJS.Timeout | null = null;
  const silent: Array<{ id: string; secret: string }> = [];

  const sensorIn = async (gridId: string, n: number) => {
    const householdId = `h-${gridId}-${n}`;
    await must(
      svc,
      'POST',
      '/api/households',
      { id: householdId, gridId, address: `${gridId} ${n} 号` },
      201,
    );
    await must(
      svc,
      'POST',
      '/api/quarantines',
      { householdId, start: new Date(Date.now() - 60_000).toISOString() },
      201,
    );
    const s = await must(svc, 'POST', '/api/sensors', { id: `s-${gridId}-${n}`, householdId }, 201);
    return { id: `s-${gridId}-${n}`, secret: s.secret as string };
  };
  const heartbeatOnce = async (s: { id: string; secret: string }, seq: number) => {
    const c = await connectSensor(svc.mqttUrl, s.id, s.secret);
    await c.publishAsync(`seal/${s.id}/heartbeat`, heartbeatPayload(seq, 'closed'), { qos: 1 });
    await c.endAsync();
  };

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    svc = await startService({
      env: { HEARTBEAT_INTERVAL: '1s', MISSED_HEARTBEATS: '3', ESCALATE_AFTER: '10m' },
    });
    await must(
      svc,
      'POST',
      '/api/grid',
      { id: 'area', name: '里村镇', parentId: null, level: 'township' },
      201,
    );
    await must(
      svc,
      'POST',
      '/api/grid',
      { id: 'v2', name: '南街', parentId: 'area', level: 'community' },
      201,
    );
    await must(
      svc,
      'POST',
      '/api/grid',
      { id: 'v3', name: '北街', parentId: 'area', level: 'community' },
      201,
    );
    for (const w of [
      { id: 'l-v2', name: '南街网格长', gridId: 'v2', role: 'leader', webhook: `${hook.url}/leader` },
      { id: 'w-v2', name: '南街网格员', gridId: 'v2', role: 'worker', webhook: `${hook.url}/worker` },
      { id: 't-area', name: '运维', gridId: 'area', role: 'technician', webhook: `${hook.url}/tech` },
    ])
      await must(svc, 'POST', '/api/workers', w, 201);
    // Twelve seals in the next community keep talking the whole time.
    for (let n = 0; n < 12; n++) {
      const s = await sensorIn('v3', n);
      alive.push(await connectSensor(svc.mqttUrl, s.id, s.secret));
    }
    let seq = 0;
    beat = setInterval(() => {
      seq++;
      for (const c of alive) {
        const id = c.options.clientId as string;
        c.publish(`seal/${id}/heartbeat`, heartbeatPayload(seq, 'closed'), { qos: 0 });
      }
    }, 400);
    for (let n = 0; n < 10; n++) silent.push(await sensorIn('v2', n));
  });
  afterAll(async () => {
    if (beat) clearInterval(beat);
    await Promise.all(alive.map((c) => c.endAsync()));
    await svc?.cleanup();
    await hook?.close();
  });

  it('one outage alert at the node, to its leader and the technician; no offline alert per seal; over when they are back', async () => {
    // All ten heard at once, then nothing: the village lost power.
    await Promise.all(silent.map((s) => heartbeatOnce(s, 1)));
    const silentSince = Date.now();
    const list = async () => (await svc.api('GET', '/api/alerts')).body as Alert[];
    await eventually(async () => (await list()).some((a) => a.type === 'outage'), 15_000, 'outage raised');
    const outages = (await list()).filter((a) => a.type === 'outage');
    expect(outages).toHaveLength(1);
    expect(outages[0]).toMatchObject({
      gridId: 'v2',
      severity: 'critical',
      status: 'open',
      assignee: 'l-v2',
    });
    await hook.waitFor((r) => r.path === '/leader' && r.json?.data?.type === 'outage');
    await hook.waitFor((r) => r.path === '/tech' && r.json?.data?.type === 'outage');

    // Past every hold-back (one interval after each seal's deadline) and a few sweeps more.
    await new Promise((r) => setTimeout(r, 3_000));
    const offline = (await list()).filter(
      (a) => a.type === 'offline' && a.sensorId?.startsWith('s-v2-') && Date.parse(a.openedAt) >= silentSince,
    );
    expect(offline).toEqual([]);
    expect((await list()).filter((a) => a.type === 'offline' && a.sensorId?.startsWith('s-v3-'))).toEqual([]);

    await Promise.all(silent.map((s) => heartbeatOnce(s, 2)));
    await eventually(
      async () => (await svc.api('GET', `/api/alerts/${outages[0]!.id}`)).body.status === 'resolved',
      10_000,
      'outage over',
    );
    expect((await svc.api('GET', `/api/alerts/${outages[0]!.id}`)).body.autoResolveReason).toBe('outageOver');
  });
});
