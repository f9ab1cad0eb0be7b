import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { connectSensor, eventPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';
import { openEventStream } from '../../helpers/sse.ts';

describe('live overview and event stream', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    svc = await startService();
    const node = (id: string, parentId: string | null, level: string) =>
      svc.api('POST', '/api/grid', { id, name: id, parentId, level });
    await node('county', null, 'county');
    await node('town-a', 'county', 'township');
    await node('town-b', 'county', 'township');
    for (const [sensor, grid] of [
      ['a1', 'town-a'],
      ['a2', 'town-a'],
      ['b1', 'town-b'],
    ] as const) {
      await svc.api('POST', '/api/households', { id: `h-${sensor}`, gridId: grid, address: `${sensor}` });
      await svc.api('POST', '/api/quarantines', {
        householdId: `h-${sensor}`,
        start: new Date(Date.now() - 1000).toISOString(),
      });
      secrets[sensor] = (
        await svc.api('POST', '/api/sensors', { id: sensor, householdId: `h-${sensor}` })
      ).body.secret;
    }
  });
  afterAll(async () => svc?.cleanup());

  it('counts per node add up over the subtree', async () => {
    const client = await connectSensor(svc.mqttUrl, 'a1', secrets.a1 as string);
    await client.publishAsync('seal/a1/event', eventPayload('open', 1), { qos: 1 });
    await client.endAsync();
    const overview = (await svc.api('GET', '/api/overview')).body;
    const byId = Object.fromEntries(overview.nodes.map((n: { id: string }) => [n.id, n]));
    expect(byId.county.counts).toMatchObject({ households: 3, sealed: 3, open: 1 });
    expect(byId['town-a'].counts).toMatchObject({ households: 2, sealed: 2, open: 1 });
    expect(byId['town-b'].counts).toMatchObject({ households: 1, sealed: 1, open: 0, offline: 1 });
  });

  it('lists seal states filtered by node, door and online, paged, and refuses a bad filter', async () => {
    const ids = async (query: string) => {
      const r = await svc.api('GET', `/api/seals${query}`);
      expect(r.status, query).toBe(200);
      return { ids: r.body.items.map((s: { sensorId: string }) => s.sensorId).sort(), total: r.body.total };
    };
    // a1 opened its door in the test above; a2 and b1 were never heard from.
    expect(await ids('')).toEqual({ ids: ['a1', 'a2', 'b1'], total: 3 });
    expect(await ids('?gridId=town-a')).toEqual({ ids: ['a1', 'a2'], total: 2 });
    expect(await ids('?door=open')).toEqual({ ids: ['a1'], total: 1 });
    expect(await ids('?door=unknown&gridId=town-a')).toEqual({ ids: ['a2'], total: 1 });
    expect(await ids('?online=true')).toEqual({ ids: ['a1'], total: 1 });
    expect(await ids('?online=false')).toEqual({ ids: ['a2', 'b1'], total: 2 });
    const page = (await svc.api('GET', '/api/seals?limit=2&offset=2')).body;
    expect(page).toMatchObject({ total: 3, limit: 2, offset: 2 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ householdId: expect.any(String), armed: true });
    for (const bad of ['?door=ajar', '?online=yes', '?limit=0', '?gridId=nowhere']) {
      const r = await svc.api('GET', `/api/seals${bad}`);
      expect([400, 403, 404], bad).toContain(r.status);
      expect(r.body.error.message, bad).toBeTruthy();
    }
  });

  it('puts the numbers an operator needs in /metrics: alerts, HTTP latency, event-loop lag', async () => {
    await eventually(
      async () => {
        const text = (await svc.api('GET', '/metrics', undefined, null)).body as string;
        return metricValue(text, 'sealwatch_alerts', { type: 'breach', status: 'open' }) >= 1;
      },
      10_000,
      'a breach in sealwatch_alerts',
    );
    const text = (await svc.api('GET', '/metrics', undefined, null)).body as string;
    expect(
      metricValue(text, 'sealwatch_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/overview',
        status: '2xx',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toContain('sealwatch_process_nodejs_eventloop_lag_seconds');
    expect(text).toContain('sealwatch_seals{state="open"}');
  });

  it('streams seal changes within the caller’s scope only, and resumes after a reconnect', async () => {
    const townA = (
      await svc.api('POST', '/api/tokens', { role: 'monitor', gridId: 'town-a', name: 'room A' })
    ).body.token;
    const stream = openEventStream(`${svc.httpUrl}/api/events`, townA);
    expect(await stream.opened).toBe(200);
    const b1 = await connectSensor(svc.mqttUrl, 'b1', secrets.b1 as string);
    await b1.publishAsync('seal/b1/event', eventPayload('open', 1), { qos: 1 });
    const a2 = await connectSensor(svc.mqttUrl, 'a2', secrets.a2 as string);
    await a2.publishAsync('seal/a2/event', eventPayload('open', 1), { qos: 1 });
    const seen = await stream.next((e) => e.event === 'seal' && JSON.parse(e.data).sensorId === 'a2');
    expect(JSON.parse(seen.data)).toMatchObject({ door: 'open', armed: true });
    expect(stream.events.some((e) => e.data.includes('"b1"'))).toBe(false);
    stream.close();

    // While disconnected, a2 closes; resuming from the last id replays it.
    await a2.publishAsync('seal/a2/event', eventPayload('close', 2), { qos: 1 });
    const resumed = openEventStream(`${svc.httpUrl}/api/events`, townA, seen.id ?? undefined);
    const replay = await resumed.next((e) => e.event === 'seal' && JSON.parse(e.data).sensorId === 'a2');
    expect(JSON.parse(replay.data).door).toBe('closed');
    resumed.close();
    await a2.endAsync();
    await b1.endAsync();
  });

  it('refuses another grid’s overview root and unauthenticated streams', async () => {
    const townA = (await svc.api('POST', '/api/tokens', { role: 'worker', gridId: 'town-a', name: 'w' })).body
      .token;
    expect((await svc.api('GET', '/api/events?gridId=town-b', undefined, townA)).status).toBe(404);
    expect((await svc.api('GET', '/api/events', undefined, null)).status).toBe(401);
    const overview = (await svc.api('GET', '/api/overview', undefined, townA)).body;
    expect(overview.nodes.map((n: { id: string }) => n.id)).toEqual(['town-a']);
  });
});
