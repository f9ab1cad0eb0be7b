import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';

/** Releasing a household and cancelling a window change arming at once. */
describe('schedule changes', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    svc = await startService();
    await provisionArmedSensor(svc, { sensor: 'sched-1', grid: 'sched', household: 'h-sched-1' });
  });
  afterAll(async () => svc?.cleanup());

  const armed = async () => (await svc.api('GET', '/api/seals/sched-1')).body.armed as boolean;
  const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

  it('a cancelled window arms the household again; an ended quarantine disarms it', async () => {
    expect(await armed()).toBe(true);
    const window = await svc.api('POST', '/api/windows', {
      householdId: 'h-sched-1',
      start: iso(-60_000),
      end: iso(3_600_000),
      reason: '上门核酸',
      by: '王网格员',
    });
    expect(await armed()).toBe(false);
    expect((await svc.api('DELETE', `/api/windows/${window.body.id}`)).status).toBe(200);
    expect(await armed()).toBe(true);
    expect((await svc.api('DELETE', `/api/windows/${window.body.id}`)).status).toBe(404);

    const schedule = (await svc.api('GET', '/api/households/h-sched-1/schedule')).body;
    const quarantineId = schedule.quarantines[0].id as string;
    const early = await svc.api('PATCH', `/api/quarantines/${quarantineId}`, { end: iso(-7_200_000) });
    expect(early.status).toBe(400);
    expect(early.body.error.message).toMatch(/after the quarantine start/);
    expect(await armed()).toBe(true);
    const released = await svc.api('PATCH', `/api/quarantines/${quarantineId}`, { end: iso(-1_000) });
    expect(released.status).toBe(200);
    expect(await armed()).toBe(false);
    expect((await svc.api('PATCH', '/api/quarantines/nope', { end: iso(0) })).status).toBe(404);
  });

  it('survives a restart', async () => {
    await svc.restart();
    expect(await armed()).toBe(false);
    expect((await svc.api('GET', '/api/households/h-sched-1/schedule')).body.windows).toEqual([]);
  });
});
