/**
 * Issue 17.4 end to end in the running service (real MQTT, real SQLite file, real HTTP receiver):
 * a worker marked absent with a substitute, the breach goes to the substitute; a roster entry makes
 * the on-duty worker the assignee, outside its span the responsible worker; the entries survive a
 * restart and each change leaves its audit entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startService } from '../../helpers/service.ts';
import type { WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { armedHousehold, must, publishOpen, startAlertingRig } from './grid.ts';

const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const HOUR = 3_600_000;

describe('duty rosters and absences route alerts', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let hook: WebhookReceiver;
  let rig: Awaited<ReturnType<typeof startAlertingRig>>;

  beforeAll(async () => {
    rig = await startAlertingRig({ TZ_LOCAL: 'Asia/Shanghai', LOCALE: 'zh-CN', ESCALATE_AFTER: '10m' });
    ({ svc, hook } = rig);
    const extra = [
      { id: 'w-sub', name: '赵替班', gridId: 'dongcun', role: 'worker', webhook: `${hook.url}/sub` },
      { id: 'w-night', name: '夜班员', gridId: 'shicun', role: 'worker', webhook: `${hook.url}/night` },
    ];
    for (const w of extra) await must(svc, 'POST', '/api/workers', w, 201);
  });
  afterAll(async () => rig?.close());

  const alertOf = async (sensorId: string) => {
    const list = (await svc.api('GET', '/api/alerts?status=open')).body as Array<{
      sensorId?: string;
      assignee: string | null;
    }>;
    return list.find((a) => a.sensorId === sensorId);
  };
  const hookFor = (path: string, address: string) =>
    hook.waitFor((r) => r.path === path && JSON.stringify(r.json).includes(address));

  it('refuses with 400: end not after start, unknown worker, the absent worker as their own substitute', async () => {
    const bad = [
      [
        '/api/rosters',
        { gridId: 'dongcun', workerId: 'w-night', start: iso(HOUR), end: iso(0) },
        /end must be after start/,
      ],
      [
        '/api/rosters',
        { gridId: 'dongcun', workerId: 'nobody', start: iso(0), end: iso(HOUR) },
        /unknown worker 'nobody'/,
      ],
      [
        '/api/rosters',
        { gridId: 'nowhere', workerId: 'w-night', start: iso(0), end: iso(HOUR) },
        /unknown grid node/,
      ],
      ['/api/rosters', { gridId: 'dongcun', workerId: 'w-night', start: '22:00', end: '06:00' }, /ISO 8601/],
      [
        '/api/absences',
        { workerId: 'w-dong', substituteId: 'w-dong', start: iso(0), end: iso(HOUR) },
        /someone other/,
      ],
      [
        '/api/absences',
        { workerId: 'w-dong', substituteId: 'ghost', start: iso(0), end: iso(HOUR) },
        /unknown worker 'ghost' \(substituteId\)/,
      ],
    ] as const;
    for (const [path, body, message] of bad) {
      const r = await svc.api('POST', path, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(r.body)).toMatch(message);
    }
    expect((await svc.api('GET', '/api/rosters')).body.total).toBe(0);
  });

  it('a worker marked absent with a substitute: the breach goes to the substitute', async () => {
    const absence = await must(
      svc,
      'POST',
      '/api/absences',
      { workerId: 'w-dong', substituteId: 'w-sub', start: iso(-HOUR), end: iso(HOUR) },
      201,
    );
    const s = await armedHousehold(svc, 'dongcun', '31');
    await publishOpen(svc, s, 1);
    const req = await hookFor('/sub', '31 号');
    expect(req.json).toMatchObject({ source: 'sealwatch', severity: 'critical' });
    expect((await alertOf(s.sensorId))?.assignee).toBe('w-sub');
    // The absent worker got nothing about it.
    expect(
      hook.received.filter((r) => r.path === '/wang' && JSON.stringify(r.json).includes('31 号')),
    ).toEqual([]);
    const duty = (await svc.api('GET', '/api/grid/dongcun/duty')).body;
    expect(duty).toMatchObject({ source: 'responsible', assignee: { id: 'w-sub', coversFor: 'w-dong' } });

    const audit = (await svc.api('GET', `/api/audit?entity=absence&id=${absence.id}`)).body;
    expect(audit).toMatchObject([{ action: 'create', gridId: 'dongcun', after: { substituteId: 'w-sub' } }]);
    await must(svc, 'DELETE', `/api/absences/${absence.id}`, undefined, 200);
    expect((await svc.api('GET', '/api/grid/dongcun/duty')).body.assignee.id).toBe('w-dong');
  });

  it('a roster entry makes the on-duty worker the assignee; outside its span, the responsible worker', async () => {
    const onNow = await must(
      svc,
      'POST',
      '/api/rosters',
      { gridId: 'shicun', workerId: 'w-night', start: iso(-60_000), end: iso(HOUR) },
      201,
    );
    // A later shift of someone else on the same village: not in force now, changes nothing now.
    await must(
      svc,
      'POST',
      '/api/rosters',
      { gridId: 'dongcun', workerId: 'w-sub', start: iso(2 * HOUR), end: iso(3 * HOUR) },
      201,
    );
    // Survives a restart (read back from the SQLite file).
    await svc.restart();
    const duty = (await svc.api('GET', '/api/grid/dongcun/duty')).body;
    expect(duty).toMatchObject({ source: 'roster', assignee: { id: 'w-night', coversFor: null } });
    expect(duty.rosters.map((r: { id: string }) => r.id)).toEqual([onNow.id]);

    const s = await armedHousehold(svc, 'dongcun', '32');
    await publishOpen(svc, s, 1);
    await hookFor('/night', '32 号');
    expect((await alertOf(s.sensorId))?.assignee).toBe('w-night');

    // Outside its span (the entry removed, the later one not started): the responsible worker.
    await must(svc, 'DELETE', `/api/rosters/${onNow.id}`, undefined, 200);
    const t = await armedHousehold(svc, 'dongcun', '33');
    await publishOpen(svc, t, 1);
    await hookFor('/wang', '33 号');
    expect((await alertOf(t.sensorId))?.assignee).toBe('w-dong');

    const trail = (await svc.api('GET', `/api/audit?entity=roster&id=${onNow.id}`)).body;
    expect(trail.map((e: { action: string }) => e.action)).toEqual(['delete', 'create']);
    const list = (await svc.api('GET', `/api/rosters?at=${encodeURIComponent(iso(2.5 * HOUR))}`)).body;
    expect(list.items.map((r: { workerId: string }) => r.workerId)).toEqual(['w-sub']);
  });
});
