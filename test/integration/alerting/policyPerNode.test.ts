/**
 * Issue 16.4 in the running service: a policy per grid node, inherited down the tree, read by the
 * rules. Real MQTT, real SMTP, the service as `npm start` runs it. The environment's steps are long
 * (1 h), so anything that escalates within seconds does so by its node's policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import type { startService } from '../../helpers/service.ts';
import { armedHousehold, must, publishOpen, startAlertingRig } from './grid.ts';

describe('policy per grid node', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let rig: Awaited<ReturnType<typeof startAlertingRig>>;
  beforeAll(async () => {
    rig = await startAlertingRig({
      MAIL_FROM: 'SealWatch <alerts@sealwatch.test>',
      ESCALATE_AFTER: '1h',
      OPENS_PER_DAY: '7',
      LOCALE: 'en',
    });
    svc = rig.svc;
  });
  afterAll(async () => rig?.close());

  const alertOf = async (sensorId: string) => {
    const list = (await svc.api('GET', '/api/alerts?status=open')).body as Array<{
      sensorId?: string;
      id: string;
    }>;
    const a = list.find((x) => x.sensorId === sensorId);
    return a && (await svc.api('GET', `/api/alerts/${a.id}`)).body;
  };

  it('the root answers the environment; a node answers what it inherits and where from', async () => {
    const root = (await svc.api('GET', '/api/grid/quwo/policy')).body;
    expect(root.effective).toEqual({
      breachGrace: '0s',
      opensPerDay: 7,
      announceSpan: '10m',
      doorOpenLimit: '10m',
      escalateAfter: ['1h'],
      lowBatteryPercent: 20,
      outageMinSilent: 5,
      outageFraction: 0.5,
    });
    expect(Object.values(root.source)).toEqual(Array(8).fill('default'));
    expect(root).toMatchObject({ set: {}, updatedAt: null, updatedBy: null });

    const town = await must(
      svc,
      'PUT',
      '/api/grid/shicun/policy',
      { opensPerDay: 9, breachGrace: '0s' },
      200,
    );
    expect(town.set).toEqual({ opensPerDay: 9, breachGrace: '0s' });
    expect(town.updatedBy).toBeTruthy();
    expect(Date.parse(town.updatedAt)).toBeGreaterThan(Date.now() - 60_000);
    const village = (await svc.api('GET', '/api/grid/licun/policy')).body;
    expect(village.effective.opensPerDay).toBe(9);
    expect(village.source).toMatchObject({
      opensPerDay: 'shicun',
      breachGrace: 'shicun',
      escalateAfter: 'default',
    });
    // null removes the field: inherited again.
    const removed = await must(svc, 'PUT', '/api/grid/shicun/policy', { opensPerDay: null }, 200);
    expect(removed.set).toEqual({ breachGrace: '0s' });
    expect((await svc.api('GET', '/api/grid/licun/policy')).body.source.opensPerDay).toBe('default');
  });

  it('escalateAfter ["2s"] on one village escalates a breach there in about 2 s; the neighbouring village follows the environment', async () => {
    await must(svc, 'PUT', '/api/grid/dongcun/policy', { escalateAfter: ['2s'] }, 200);
    const here = await armedHousehold(svc, 'dongcun', '21');
    const there = await armedHousehold(svc, 'licun', '22');
    const publishedAt = Date.now();
    await publishOpen(svc, here, 1);
    await publishOpen(svc, there, 1);

    const town = await rig.smtp.waitFor(
      (m) => m.to.includes('town@example.org') && m.text.includes('21 号'),
      10_000,
    );
    const tookMs = Date.now() - publishedAt;
    expect(town.subject).toMatch(/escalat/i);
    expect(tookMs).toBeGreaterThanOrEqual(1_900);
    expect(tookMs).toBeLessThan(5_000);
    const escalated = await alertOf(here.sensorId);
    expect(escalated).toMatchObject({ escalationLevel: 1, gridId: 'dongcun' });
    expect(escalated.history.map((c: { kind: string }) => c.kind)).toContain('escalated');

    // The neighbour: still with its worker, its next step an hour after its opening.
    await new Promise((r) => setTimeout(r, 1_000));
    const neighbour = await alertOf(there.sensorId);
    expect(neighbour).toMatchObject({ escalationLevel: 0, gridId: 'licun' });
    expect(Date.parse(neighbour.nextEscalationAt) - Date.parse(neighbour.openedAt)).toBe(3_600_000);
    expect(
      rig.smtp.inbox.filter((m) => m.to.includes('town@example.org') && m.text.includes('22 号')),
    ).toEqual([]);
  });

  it('a shorter step set while the neighbour’s alert is open applies from its next step', async () => {
    const there = await armedHousehold(svc, 'licun', '23');
    await publishOpen(svc, there, 1);
    await eventually(async () => (await alertOf(there.sensorId)) !== undefined, 10_000, 'the breach');
    const before = await alertOf(there.sensorId);
    expect(Date.parse(before.nextEscalationAt) - Date.parse(before.openedAt)).toBe(3_600_000);
    // Counted from the opening, so a step shorter than the alert's age is due at once.
    await must(svc, 'PUT', '/api/grid/licun/policy', { escalateAfter: ['1s', '1h'] }, 200);
    await rig.smtp.waitFor((m) => m.to.includes('town@example.org') && m.text.includes('23 号'), 10_000);
    const after = await alertOf(there.sensorId);
    expect(after.escalationLevel).toBe(1);
    await must(svc, 'PUT', '/api/grid/licun/policy', { escalateAfter: null }, 200);
  });

  it('refuses bad values with a 400 that names the field; scoped like the grid routes', async () => {
    const refused = async (body: unknown, pattern: RegExp) => {
      const r = await svc.api('PUT', '/api/grid/dongcun/policy', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(r.body.error), JSON.stringify(body)).toMatch(pattern);
    };
    await refused({ opensPerDay: -1 }, /opensPerDay must be a whole number ≥ 0/);
    await refused({ breachGrace: '-5s' }, /breachGrace is not a duration/);
    await refused({ outageFraction: 1.5 }, /outageFraction must be in \(0, 1\]/);
    await refused({ outageFraction: 0 }, /outageFraction must be in \(0, 1\]/);
    await refused({ escalateAfter: [] }, /escalateAfter must list at least one step/);
    await refused({ escalateAfter: ['5m', '1m'] }, /increasing/);
    await refused({ lowBatteryPercent: 80 }, /lowBatteryPercent must be below 50/);
    await refused({ graceBreach: '5s' }, /graceBreach/);
    expect((await svc.api('PUT', '/api/grid/nowhere/policy', { opensPerDay: 3 })).status).toBe(404);

    // A leader's token (an admin scoped to the township) sets its subtree, not beyond.
    const leader = (
      await must(svc, 'POST', '/api/tokens', { role: 'admin', gridId: 'shicun', name: 'town leader' }, 201)
    ).token as string;
    const villageLeader = (
      await must(svc, 'POST', '/api/tokens', { role: 'admin', gridId: 'licun', name: 'li leader' }, 201)
    ).token as string;
    const worker = (
      await must(svc, 'POST', '/api/tokens', { role: 'worker', gridId: 'dongcun', name: 'w' }, 201)
    ).token as string;
    const set = await svc.api('PUT', '/api/grid/dongcun/policy', { lowBatteryPercent: 25 }, leader);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ updatedBy: 'town leader', set: { lowBatteryPercent: 25 } });
    const trail = (await svc.api('GET', '/api/audit?entity=policy&id=dongcun')).body;
    expect(trail[0]).toMatchObject({
      actor: 'town leader',
      action: 'update',
      entity: 'policy',
      id: 'dongcun',
      gridId: 'dongcun',
      before: { escalateAfter: ['2s'] },
      after: { escalateAfter: ['2s'], lowBatteryPercent: 25 },
    });
    expect((await svc.api('PUT', '/api/grid/dongcun/policy', { opensPerDay: 2 }, villageLeader)).status).toBe(
      404,
    );
    expect((await svc.api('PUT', '/api/grid/quwo/policy', { opensPerDay: 2 }, leader)).status).toBe(404);
    expect((await svc.api('PUT', '/api/grid/dongcun/policy', { opensPerDay: 2 }, worker)).status).toBe(403);
    expect((await svc.api('GET', '/api/grid/dongcun/policy', undefined, worker)).status).toBe(200);
  });

  it('policies leave and come back as CSV: one row per node, escalateAfter as a list in one cell', async () => {
    await must(svc, 'PUT', '/api/grid/shicun/policy', { announceSpan: '15m', outageMinSilent: 3 }, 200);
    const exported = async () => {
      const res = await fetch(`${svc.httpUrl}/api/export/policies`, {
        headers: { authorization: `Bearer ${svc.adminToken}` },
      });
      expect(res.status).toBe(200);
      return (await res.text()).replace(/^\ufeff/, '');
    };
    const csv = await exported();
    const lines = csv.trim().split(/\r\n/);
    expect(lines[0]).toBe(
      'gridId,breachGrace,opensPerDay,announceSpan,doorOpenLimit,escalateAfter,lowBatteryPercent,outageMinSilent,outageFraction',
    );
    expect(lines).toContain('dongcun,,,,,2s,25,,');
    expect(lines).toContain('shicun,0s,,15m,,,,3,');
    const before = {
      dongcun: (await svc.api('GET', '/api/grid/dongcun/policy')).body.effective,
      shicun: (await svc.api('GET', '/api/grid/shicun/policy')).body.effective,
    };

    // Cleared, then imported again: the same policies.
    const cleared = {
      breachGrace: null,
      announceSpan: null,
      outageMinSilent: null,
      escalateAfter: null,
      lowBatteryPercent: null,
    };
    await must(svc, 'PUT', '/api/grid/dongcun/policy', cleared, 200);
    await must(svc, 'PUT', '/api/grid/shicun/policy', cleared, 200);
    expect(await exported()).toBe(`${lines[0]}\r\n`);
    const post = (text: string) =>
      fetch(`${svc.httpUrl}/api/import/policies`, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'text/csv' },
        body: text,
      });
    const imported = await post(csv);
    expect(imported.status).toBe(201);
    expect(await imported.json()).toMatchObject({ entity: 'policies', imported: 2 });
    expect((await svc.api('GET', '/api/grid/dongcun/policy')).body.effective).toEqual(before.dongcun);
    expect((await svc.api('GET', '/api/grid/shicun/policy')).body.effective).toEqual(before.shicun);

    // A list written with spaces works too; bad rows are refused by line, and nothing is written.
    const spaced = await post('gridId,escalateAfter\nlicun,30s 2m\n');
    expect(spaced.status).toBe(201);
    expect((await svc.api('GET', '/api/grid/licun/policy')).body.effective.escalateAfter).toEqual([
      '30s',
      '2m',
    ]);
    const bad = await post('gridId,opensPerDay,outageFraction\ndongcun,-3,\nnowhere,,0.5\nlicun,,2\n');
    expect(bad.status).toBe(400);
    const details = ((await bad.json()) as { error: { details: Array<{ line: number; message: string }> } })
      .error.details;
    expect(details.map((d) => d.line)).toEqual([2, 3, 4]);
    expect(JSON.stringify(details)).toMatch(/opensPerDay must be a whole number/);
    expect(JSON.stringify(details)).toMatch(/grid node 'nowhere' does not exist/);
    expect((await svc.api('GET', '/api/grid/dongcun/policy')).body.effective).toEqual(before.dongcun);
  });
});
