/**
 * The API behind the grid worker's phone view (issue 18.3), against the real service: a worker
 * person sees their own village's households only, even when their user was given more; the list
 * carries each household's seals, quarantine and unresolved alerts, open alerts first; a
 * household's timeline merges door events, alerts, quarantines, windows and announcements.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { person } from '../../helpers/person.ts';
import { startService } from '../../helpers/service.ts';
import { HOUSEHOLDS, sealsReportAndOneDoorOpens, setUpTwoVillages, WORKER_PASSWORDS } from './twoVillages.ts';

interface Status {
  household: { id: string; contact: string | null };
  quarantine: { end: string | null } | null;
  seals: Array<{ sensorId: string; door: string; online: boolean; armed: boolean; battery: number | null }>;
  alerts: Array<{ id: string; type: string; status: string }>;
}

describe("a grid worker's households and a household's timeline", () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  const wang = () => person(svc);

  beforeAll(async () => {
    svc = await startService();
    const secrets = await setUpTwoVillages(svc);
    await sealsReportAndOneDoorOpens(svc, secrets);
    await eventually(
      async () =>
        (await svc.api('GET', '/api/alerts?status=open')).body.some(
          (a: { type: string }) => a.type === 'breach',
        ),
      10_000,
      'the breach alert',
    );
  });
  afterAll(async () => svc?.cleanup());

  it("a worker's scope is their worker record's node, even when their user was given the township", async () => {
    const p = wang();
    const signedIn = await p.signIn('wang.fang', WORKER_PASSWORDS.wang);
    expect(signedIn.status, signedIn.text).toBe(200);
    expect(signedIn.body).toMatchObject({ role: 'worker', gridId: 'dongcun', gridName: '东村' });
    expect((await p.call('GET', '/api/me')).body).toMatchObject({ gridId: 'dongcun', workerId: 'w-wang' });
    const households = (await p.call('GET', '/api/households')).body.items.map((h: { id: string }) => h.id);
    expect(households.sort()).toEqual([HOUSEHOLDS.breach.id, HOUSEHOLDS.calm.id]);
    const seals = (await p.call('GET', '/api/seals')).body.items.map((s: { sensorId: string }) => s.sensorId);
    expect(seals).not.toContain(`s-${HOUSEHOLDS.other.id}`);
    // The neighbour village answers as a place that does not exist.
    expect((await p.call('GET', '/api/households?gridId=xicun')).status).toBe(404);
    expect((await p.call('GET', '/api/alerts?status=open')).body).toHaveLength(1);
    // A bearer token keeps the scope it was given (no worker behind it).
    const token = (
      await svc.api('POST', '/api/tokens', { role: 'worker', gridId: 'shicun', name: 'township app' })
    ).body.token;
    const byToken = await svc.api('GET', '/api/households', undefined, token);
    expect(byToken.body.total).toBe(3);
  });

  it('"my households": seals, quarantine end, contact and unresolved alerts, the open breach first; nothing of the other village', async () => {
    const p = wang();
    await p.signIn('wang.fang', WORKER_PASSWORDS.wang);
    const answer = await p.call('GET', '/api/households/status');
    expect(answer.status, answer.text).toBe(200);
    const items = answer.body.items as Status[];
    expect(items.map((s) => s.household.id)).toEqual([HOUSEHOLDS.breach.id, HOUSEHOLDS.calm.id]);
    const [breach, calm] = items as [Status, Status];
    expect(breach.household.contact).toBe(HOUSEHOLDS.breach.contact);
    expect(breach.quarantine?.end).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(breach.seals).toEqual([
      expect.objectContaining({
        sensorId: `s-${HOUSEHOLDS.breach.id}`,
        door: 'open',
        online: true,
        armed: true,
        battery: 87,
      }),
    ]);
    expect(breach.alerts).toEqual([expect.objectContaining({ type: 'breach', status: 'open' })]);
    expect(calm.alerts).toEqual([]);
    expect(calm.seals[0]).toMatchObject({ door: 'closed', online: true });
    expect(answer.text).not.toContain(HOUSEHOLDS.other.address);

    const li = person(svc);
    await li.signIn('li.qiang', WORKER_PASSWORDS.li);
    const theirs = (await li.call('GET', '/api/households/status')).body.items as Status[];
    expect(theirs.map((s) => s.household.id)).toEqual([HOUSEHOLDS.other.id]);
    expect((await li.call('GET', '/api/households/status?gridId=dongcun')).status).toBe(404);
  });

  it("a household's timeline: door events, its alert through resolution, quarantine, windows (its own and the township's) and an announcement, newest first", async () => {
    const p = wang();
    const { body: me } = await p.signIn('wang.fang', WORKER_PASSWORDS.wang);
    const csrf = { 'x-csrf-token': me.csrfToken as string };
    const [alert] = (await p.call('GET', '/api/alerts?status=open')).body;
    expect((await p.call('POST', `/api/alerts/${alert.id}/ack`, {}, csrf)).status).toBe(200);
    const resolved = await p.call(
      'POST',
      `/api/alerts/${alert.id}/resolve`,
      { outcome: 'visited', note: '上门核实，住户取快递后已回屋' },
      csrf,
    );
    expect(resolved.status, resolved.text).toBe(200);
    const announced = await p.call(
      'POST',
      '/api/announcements',
      { householdId: HOUSEHOLDS.breach.id, reason: '就医', minutes: 30 },
      csrf,
    );
    expect(announced.status, announced.text).toBe(201);
    expect(announced.body.by).toBe('wang.fang');
    const statuses = (await p.call('GET', '/api/households/status')).body.items as Array<
      Status & { announcement: unknown }
    >;
    expect(statuses.find((s) => s.household.id === HOUSEHOLDS.breach.id)?.announcement).toMatchObject({
      reason: '就医',
      end: announced.body.end,
    });
    expect(statuses.find((s) => s.household.id === HOUSEHOLDS.calm.id)?.announcement).toBeNull();

    const answer = await p.call('GET', `/api/households/${HOUSEHOLDS.breach.id}/timeline`);
    expect(answer.status, answer.text).toBe(200);
    const items = answer.body.items as Array<{ at: string; kind: string; [k: string]: unknown }>;
    const kinds = new Set(items.map((i) => i.kind));
    expect([...kinds].sort()).toEqual(['alert', 'announcement', 'door', 'quarantine', 'window']);
    const times = items.map((i) => Date.parse(i.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(items.find((i) => i.kind === 'alert')?.alert).toMatchObject({
      id: alert.id,
      status: 'resolved',
      outcome: 'visited',
      resolvedBy: 'wang.fang',
    });
    expect(items.find((i) => i.kind === 'door')?.door).toMatchObject({ type: 'open' });
    expect(items.find((i) => i.kind === 'announcement')?.announcement).toMatchObject({
      reason: '就医',
      by: 'wang.fang',
    });
    const windows = items
      .filter((i) => i.kind === 'window')
      .map((i) => (i.window as { reason: string }).reason);
    expect(windows.sort()).toEqual(['上门核酸', '全镇送餐'].sort());
    expect(items.find((i) => i.kind === 'quarantine')?.quarantine).toMatchObject({
      householdId: HOUSEHOLDS.breach.id,
    });
    expect(
      (await p.call('GET', `/api/households/${HOUSEHOLDS.breach.id}/timeline?limit=2`)).body.items,
    ).toHaveLength(2);

    // Another village's household: exactly what an unknown one gets.
    const other = await p.call('GET', `/api/households/${HOUSEHOLDS.other.id}/timeline`);
    const nowhere = await p.call('GET', '/api/households/h-nowhere/timeline');
    expect(other.status).toBe(404);
    expect(other.text).toBe(nowhere.text.replace('h-nowhere', HOUSEHOLDS.other.id));
    expect(
      (await p.call('POST', '/api/announcements', { householdId: HOUSEHOLDS.other.id, reason: '就医' }, csrf))
        .status,
    ).toBe(404);
  });
});
