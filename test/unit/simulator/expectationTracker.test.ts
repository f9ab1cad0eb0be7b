import { describe, expect, it } from 'vitest';
import { ExpectationTracker, type ScenarioIds } from '../../../simulator/scenario/expectationTracker.ts';
import type { Expectation } from '../../../simulator/scenario/scenarioSchema.ts';

const ids: ScenarioIds = {
  sensorId: (n) => `sim-r-${n}`,
  nodeId: (n) => `sim-r-${n}`,
  ownsSensor: (id) => id.startsWith('sim-r-'),
  ownsNode: (id) => id.startsWith('sim-r-'),
};

const verdicts = (t: ExpectationTracker) => t.results().map((r) => r.verdict);

describe('expectation tracker', () => {
  it('passes an alert expectation as soon as the alert shows, fails it at the deadline otherwise', () => {
    const e: Expectation[] = [
      { alert: 'breach', sensor: 'door', within: 10_000 },
      { alert: 'tamper', sensor: 'door', within: 10_000 },
    ];
    const t = new ExpectationTracker(e, ids);
    t.observeAlerts([{ id: 'a1', type: 'breach', sensorId: 'sim-r-door', gridId: 'sim-r-main' }], 3000);
    t.tick(3000);
    expect(verdicts(t)).toEqual(['pass', 'pending']);
    t.tick(10_001);
    expect(verdicts(t)).toEqual(['pass', 'fail']);
    expect(t.results()[1]!.detail).toBe('no matching alert appeared');
    expect(t.decided).toBe(true);
  });

  it('ignores alerts of other sensors and alerts seen after the deadline', () => {
    const t = new ExpectationTracker([{ alert: 'breach', sensor: 'door', within: 5000 }], ids);
    t.observeAlerts([{ id: 'x', type: 'breach', sensorId: 'sim-r-back' }], 1000);
    t.observeAlerts([{ id: 'y', type: 'breach', sensorId: 'sim-r-door' }], 6000);
    t.tick(6000);
    expect(verdicts(t)).toEqual(['fail']);
  });

  it('fails a noAlert at once, passes it only at its deadline, and only for the scenario’s own sensors', () => {
    const t = new ExpectationTracker(
      [
        { noAlert: 'offline', within: 20_000 },
        { noAlert: 'breach', within: 20_000 },
      ],
      ids,
    );
    t.observeAlerts([{ id: 'o1', type: 'offline', sensorId: 'someone-else' }], 1000);
    t.observeAlerts([{ id: 'b1', type: 'breach', sensorId: 'sim-r-door' }], 2000);
    t.tick(2000);
    expect(verdicts(t)).toEqual(['pending', 'fail']);
    expect(t.results()[1]!.detail).toBe('breach alert b1 appeared at 2s');
    t.observeAlerts([], 19_500);
    t.tick(20_001);
    expect(verdicts(t)).toEqual(['pass', 'fail']);
  });

  it('does not pass a noAlert when the alert list could not be read up to its deadline', () => {
    const never = new ExpectationTracker([{ noAlert: 'offline', within: 10_000 }], ids);
    never.tick(10_001);
    expect(never.results()[0]).toMatchObject({
      verdict: 'fail',
      detail: 'the alert list could not be read, so absence is unproven',
    });

    const stale = new ExpectationTracker([{ noAlert: 'offline', within: 10_000 }], ids, 2000);
    stale.observeAlerts([], 3000);
    stale.tick(10_001);
    expect(stale.results()[0]?.detail).toBe('the alert list was last read at 3s, too early to prove absence');
  });

  it('counts distinct alerts at a node', () => {
    const t = new ExpectationTracker([{ alert: 'outage', node: 'main', count: 1, within: 30_000 }], ids);
    const outage = { id: 'o1', type: 'outage', gridId: 'sim-r-main' };
    t.observeAlerts([outage], 10_000);
    t.observeAlerts([outage], 11_000);
    expect(verdicts(t)).toEqual(['pending']);
    t.tick(30_001);
    expect(verdicts(t)).toEqual(['pass']);

    const twice = new ExpectationTracker([{ alert: 'outage', node: 'main', count: 1, within: 30_000 }], ids);
    twice.observeAlerts([outage, { ...outage, id: 'o2' }], 10_000);
    expect(verdicts(twice)).toEqual(['fail']);
  });

  it('checks seal state and reports what was last seen', () => {
    const t = new ExpectationTracker(
      [
        { seal: 'door', door: 'closed', within: 5000 },
        { seal: 'back', online: false, within: 5000 },
      ],
      ids,
    );
    expect(t.pendingSeals()).toEqual(['door', 'back']);
    t.observeSeal('door', { door: 'open', online: true, armed: true }, 1000);
    t.observeSeal('door', { door: 'closed', online: true, armed: true }, 2000);
    t.observeSeal('back', { door: 'closed', online: true, armed: true }, 2000);
    t.tick(5001);
    expect(verdicts(t)).toEqual(['pass', 'fail']);
    expect(t.results()[1]!.detail).toBe('last seen: door closed, online, armed');
  });

  it('ignores seal observations before "after"', () => {
    const t = new ExpectationTracker([{ seal: 'door', door: 'closed', after: 10_000, within: 15_000 }], ids);
    t.observeSeal('door', { door: 'closed', online: true, armed: true }, 1000);
    expect(verdicts(t)).toEqual(['pending']);
    t.observeSeal('door', { door: 'closed', online: true, armed: true }, 11_000);
    expect(verdicts(t)).toEqual(['pass']);
    expect(t.results()[0]?.label).toBe('seal door is door closed from 10s within 15s');
  });

  it('reports undecided expectations of an interrupted run', () => {
    const t = new ExpectationTracker([{ noAlert: 'offline', within: 60_000 }], ids);
    expect(t.results()).toEqual([
      { label: 'no offline alert within 1m0s', verdict: 'pending', detail: 'not decided (run ended early)' },
    ]);
  });
});
