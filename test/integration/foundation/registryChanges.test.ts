import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { connectRefusal, connectSensor, eventPayload } from '../../helpers/mqtt.ts';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';

/**
 * Updates and removals of grid nodes, workers, households and sensors through the running
 * service: what changes, what is refused (and then changes nothing), and what survives a restart.
 */
describe('registry updates and removals', () => {
  let svc: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    svc = await startService();
    for (const [id, parentId, level] of [
      ['county', null, 'county'],
      ['town-a', 'county', 'township'],
      ['town-b', 'county', 'township'],
      ['village-a1', 'town-a', 'village'],
    ] as const) {
      const r = await svc.api('POST', '/api/grid', { id, name: id, parentId, level });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => svc?.cleanup());

  const gridNode = async (id: string) =>
    (await svc.api('GET', '/api/grid?limit=10000')).body.items.find((n: { id: string }) => n.id === id);

  it('grid nodes: rename, move with what is under them, refuse cycles and non-empty removals', async () => {
    await svc.api('POST', '/api/households', { id: 'h-move', gridId: 'village-a1', address: '东村 1 号' });
    const renamed = await svc.api('PATCH', '/api/grid/village-a1', { name: '东村', level: '村' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: 'village-a1', name: '东村', level: '村', parentId: 'town-a' });

    // A worker token of town-b does not see the household until its village moves under town-b.
    const tokenB = (await svc.api('POST', '/api/tokens', { role: 'worker', gridId: 'town-b', name: 'b' }))
      .body.token as string;
    const seenByB = async () =>
      (await svc.api('GET', '/api/households', undefined, tokenB)).body.items.map(
        (h: { id: string }) => h.id,
      );
    expect(await seenByB()).not.toContain('h-move');
    expect((await svc.api('PATCH', '/api/grid/village-a1', { parentId: 'town-b' })).status).toBe(200);
    expect(await seenByB()).toContain('h-move');

    const cycle = await svc.api('PATCH', '/api/grid/town-b', { parentId: 'village-a1' });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.message).toMatch(/cannot move under itself or its own descendant/);
    expect((await gridNode('town-b')).parentId).toBe('county');

    const busy = await svc.api('DELETE', '/api/grid/town-b');
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toMatch(/1 childNodes/);
    expect(busy.body.error.message).toMatch(/1 tokens/);
    expect(await gridNode('town-b')).toBeDefined();

    await svc.api('POST', '/api/grid', { id: 'empty', name: '空组', parentId: 'town-a', level: 'group' });
    expect((await svc.api('DELETE', '/api/grid/empty')).status).toBe(200);
    expect(await gridNode('empty')).toBeUndefined();
    expect((await svc.api('DELETE', '/api/grid/empty')).status).toBe(404);
  });

  it('bad PATCH bodies get the error shape and change nothing', async () => {
    for (const [body, message] of [
      [{}, /at least one field/],
      [{ id: 'other' }, /id/],
      [{ name: '' }, /name/],
      [{ parentId: 'no-such-node' }, /no-such-node/],
    ] as const) {
      const r = await svc.api('PATCH', '/api/grid/town-a', body);
      expect([400, 404], JSON.stringify(body)).toContain(r.status);
      expect(r.body.error.code).toMatch(/validation|not_found/);
      expect(r.body.error.message).toMatch(message);
    }
    expect(await gridNode('town-a')).toMatchObject({ name: 'town-a', parentId: 'county' });
  });

  it('workers: change contacts (null clears), move, remove', async () => {
    const created = await svc.api('POST', '/api/workers', {
      id: 'w-li',
      name: '李',
      gridId: 'town-a',
      role: 'worker',
      email: 'li@example.test',
      phone: '+86 138 0000 0000',
    });
    expect(created.status).toBe(201);
    const changed = await svc.api('PATCH', '/api/workers/w-li', {
      email: null,
      gridId: 'town-b',
      role: 'leader',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      email: null,
      phone: '+86 138 0000 0000',
      gridId: 'town-b',
      role: 'leader',
    });
    expect((await svc.api('PATCH', '/api/workers/w-li', { email: 'not an address' })).status).toBe(400);
    expect((await svc.api('DELETE', '/api/workers/w-li')).status).toBe(200);
    const list = (await svc.api('GET', '/api/workers')).body.items.map((w: { id: string }) => w.id);
    expect(list).not.toContain('w-li');
    expect((await svc.api('PATCH', '/api/workers/w-li', { name: 'x' })).status).toBe(404);
  });

  it('sensors and households: a sensor taken off resolves its alerts and can no longer log in', async () => {
    const { secret } = await provisionArmedSensor(svc, {
      sensor: 'seal-off',
      grid: 'town-a',
      household: 'h-off',
    });
    const sensor = await connectSensor(svc.mqttUrl, 'seal-off', secret);
    await sensor.publishAsync('seal/seal-off/event', eventPayload('open', 1), { qos: 1 });
    await sensor.endAsync();
    let breachId = '';
    await eventually(
      async () => {
        const open = (await svc.api('GET', '/api/alerts?status=open')).body as Array<{
          id: string;
          sensorId?: string;
        }>;
        breachId = open.find((a) => a.sensorId === 'seal-off')?.id ?? '';
        return breachId !== '';
      },
      10_000,
      'a breach alert for seal-off',
    );

    const patched = await svc.api('PATCH', '/api/sensors/seal-off', {
      model: 'sonoff-snzb-04',
      friendlyName: '东门',
    });
    expect(patched.body).toMatchObject({ model: 'sonoff-snzb-04', friendlyName: '东门' });
    await svc.api('POST', '/api/households', { id: 'h-other', gridId: 'town-a', address: '2 号' });
    const other = await svc.api('POST', '/api/sensors', { id: 'seal-other', householdId: 'h-other' });
    expect(other.status).toBe(201);
    const taken = await svc.api('PATCH', '/api/sensors/seal-other', { friendlyName: '东门' });
    expect(taken.status).toBe(409);
    expect((await svc.api('GET', '/api/seals/seal-other')).body.friendlyName ?? null).toBeNull();

    // A household with a sensor is not removed, and nothing of it changes.
    const refused = await svc.api('DELETE', '/api/households/h-off');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/1 sensors/);
    expect((await svc.api('GET', '/api/households/h-off/schedule')).body.quarantines).toHaveLength(1);

    expect((await svc.api('DELETE', '/api/sensors/seal-off')).status).toBe(200);
    const resolved = (await svc.api('GET', `/api/alerts/${breachId}`)).body;
    expect(resolved).toMatchObject({ status: 'resolved', autoResolveReason: 'sensorRemoved' });
    expect((await svc.api('GET', '/api/seals/seal-off')).status).toBe(404);
    expect(
      await connectRefusal(svc.mqttUrl, { clientId: 'seal-off', username: 'seal-off', password: secret }),
    ).toMatch(/code 4|code 5|Bad user|Not authorized/i);

    const removed = await svc.api('DELETE', '/api/households/h-off');
    expect(removed.status).toBe(200);
    expect(removed.body.doorEventsDeleted).toBe(1);
    expect((await svc.api('GET', '/api/households/h-off/schedule')).status).toBe(404);
  });

  it('GET /api/sensors/:id: the record in scope, never a secret; 404 outside the scope as for an unknown id', async () => {
    const { secret } = await provisionArmedSensor(svc, { sensor: 's-get', grid: 'town-a' });
    await svc.api('PATCH', '/api/sensors/s-get', { friendlyName: 'hall_door' });
    const tokenOf = async (role: string, gridId: string) =>
      (await svc.api('POST', '/api/tokens', { role, gridId, name: `${role}-${gridId}` })).body
        .token as string;
    for (const token of [
      svc.adminToken,
      await tokenOf('technician', 'town-a'),
      await tokenOf('worker', 'town-a'),
    ]) {
      const one = await svc.api('GET', '/api/sensors/s-get', undefined, token);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        id: 's-get',
        householdId: 'h-s-get',
        friendlyName: 'hall_door',
        commissioning: false,
      });
      expect(Object.keys(one.body).some((k) => /secret|hash/i.test(k))).toBe(false);
      expect(JSON.stringify(one.body)).not.toContain(secret);
    }
    const outside = await svc.api(
      'GET',
      '/api/sensors/s-get',
      undefined,
      await tokenOf('technician', 'town-b'),
    );
    const unknown = await svc.api('GET', '/api/sensors/s-none');
    for (const answer of [outside, unknown]) {
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatchObject({ code: 'not_found' });
    }
    const doc = (await svc.api('GET', '/docs/json', undefined, null)).body;
    expect(Object.keys(doc.paths['/api/sensors/{sensorId}']).sort()).toEqual(['delete', 'get', 'patch']);
  });

  it('every change survives a restart', async () => {
    await svc.restart();
    expect(await gridNode('village-a1')).toMatchObject({ name: '东村', parentId: 'town-b' });
    expect(await gridNode('empty')).toBeUndefined();
    const sensors = (await svc.api('GET', '/api/sensors')).body.items.map((s: { id: string }) => s.id);
    expect(sensors).not.toContain('seal-off');
    expect(sensors).toContain('seal-other');
    const households = (await svc.api('GET', '/api/households')).body.items.map((h: { id: string }) => h.id);
    expect(households).not.toContain('h-off');
    const workers = (await svc.api('GET', '/api/workers')).body.items.map((w: { id: string }) => w.id);
    expect(workers).not.toContain('w-li');
    // The removed sensor is not tracked for silence after the restart either.
    const open = (await svc.api('GET', '/api/alerts?status=open')).body as Array<{ sensorId?: string }>;
    expect(open.filter((a) => a.sensorId === 'seal-off')).toEqual([]);
  });
});
