import { describe, expect, it } from 'vitest';
import type { NodeCounts } from '../../../api/live/nodeCounts.ts';
import { OverviewCounts } from '../../../api/live/overviewCounts.ts';

/** The shared overview counts: reused while nothing changed, never older than the request when something did. */
describe('OverviewCounts', () => {
  const setup = (opts: { maxAgeMs?: number; minGapMs?: number } = {}) => {
    let now = 1_000_000;
    let version = 'v1';
    let computed = 0;
    const counts = new OverviewCounts({
      compute: () => {
        computed++;
        return new Map<string, NodeCounts>([
          ['n', { households: computed, sealed: 0, open: 0, offline: 0, lowBattery: 0, alerts: {} }],
        ]);
      },
      version: () => version,
      now: () => now,
      maxAgeMs: opts.maxAgeMs ?? 5_000,
      minGapMs: opts.minGapMs ?? 20,
    });
    const households = async () => (await counts.get()).get('n')?.households;
    return {
      households,
      advance: (ms: number) => {
        now += ms;
      },
      change: (v: string) => {
        version = v;
      },
      computed: () => computed,
    };
  };

  it('computes once for many callers while nothing changes', async () => {
    const t = setup();
    expect(await Promise.all([t.households(), t.households(), t.households()])).toEqual([1, 1, 1]);
    t.advance(1_000);
    expect(await t.households()).toBe(1);
    expect(t.computed()).toBe(1);
  });

  it('after a change, callers get a fresh result computed after their request, shared by all of them', async () => {
    const t = setup();
    await t.households();
    t.change('v2');
    const answers = await Promise.all([t.households(), t.households()]);
    expect(answers).toEqual([2, 2]);
    expect(t.computed()).toBe(2);
  });

  it('recomputes when the result is older than the maximum age, even without a change', async () => {
    const t = setup({ maxAgeMs: 5_000 });
    await t.households();
    t.advance(5_000);
    expect(await t.households()).toBe(2);
  });

  it('a clock that went backwards does not keep an old result forever', async () => {
    const t = setup();
    await t.households();
    t.advance(-60_000);
    expect(await t.households()).toBe(2);
  });
});
