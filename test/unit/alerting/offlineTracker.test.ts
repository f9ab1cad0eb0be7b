import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OfflineTracker } from '../../../alerting/offlineTracker.ts';
import { detectClockJump } from '../../../alerting/rules/offline.ts';
import { MIN, T0 } from './fixtures.ts';

const IV = MIN;
const BEATS = 3;

describe('OfflineTracker', () => {
  it('expires after interval × missedBeats; a later message brings it back', () => {
    const t = new OfflineTracker({ startedAt: T0 - 10 * MIN });
    t.touch('a', T0, IV, BEATS);
    expect(t.expired(T0 + 3 * MIN - 1)).toEqual([]);
    expect(t.expired(T0 + 3 * MIN)).toEqual(['a']);
    expect(t.expired(T0 + 10 * MIN)).toEqual([]); // reported once
    expect(t.isSilent('a')).toBe(true);
    expect(t.touch('a', T0 + 11 * MIN, IV, BEATS)).toBe(true);
    expect(t.isSilent('a')).toBe(false);
    expect(t.expired(T0 + 14 * MIN - 1)).toEqual([]);
    expect(t.expired(T0 + 14 * MIN)).toEqual(['a']);
  });

  it('start-up grace: nothing expires during the first window after start, even if last seen long ago', () => {
    const startedAt = T0;
    const t = new OfflineTracker({ startedAt });
    t.touch('old', T0 - 60 * MIN, IV, BEATS); // restored from the store
    t.touch('recent', T0 - MIN, IV, BEATS);
    expect(t.expired(T0 + 3 * MIN - 1)).toEqual([]);
    expect(t.expired(T0 + 3 * MIN).sort()).toEqual(['old', 'recent']);
  });

  it('a restart keeps what the previous run saw: silent then is silent at once, the rest gets the grace', () => {
    const t = new OfflineTracker({ startedAt: T0 + 12 * MIN });
    t.resumeFrom(['silentBefore', 'cameBack']);
    t.touch('silentBefore', T0 + MIN, IV, BEATS); // restored: deadline T0 + 4 min, long passed
    t.touch('cameBack', T0 + MIN, IV, BEATS);
    t.touch('cameBack', T0 + 12 * MIN, IV, BEATS); // heard from since the start: an ordinary sensor again
    t.touch('notSilentBefore', T0 + 8 * MIN, IV, BEATS); // deadline T0 + 11 min: nobody watched it pass
    expect(t.expired(T0 + 12 * MIN)).toEqual(['silentBefore']);
    expect(t.expired(T0 + 15 * MIN - 1)).toEqual([]);
    expect(t.expired(T0 + 15 * MIN).sort()).toEqual(['cameBack', 'notSilentBefore']);
  });

  it('the silent set changes are counted, so the engine persists it only when it changed', () => {
    const t = new OfflineTracker({ startedAt: T0 - 60 * MIN });
    t.touch('a', T0, IV, BEATS);
    const v0 = t.silentVersion;
    t.expired(T0 + 3 * MIN);
    expect(t.silentVersion).toBe(v0 + 1);
    expect([...t.silentIds()]).toEqual(['a']);
    t.expired(T0 + 4 * MIN);
    expect(t.silentVersion).toBe(v0 + 1);
    t.touch('a', T0 + 5 * MIN, IV, BEATS);
    expect(t.silentVersion).toBe(v0 + 2);
    expect([...t.silentIds()]).toEqual([]);
  });

  it('a clock jump / pause re-graces: no mass expiry when the sweep sees now leap ahead', () => {
    const t = new OfflineTracker({ startedAt: T0 - 60 * MIN });
    for (let i = 0; i < 100; i++) t.touch(`s${i}`, T0, IV, BEATS);
    let lastSweep = T0 + 5000;
    expect(t.expired(lastSweep)).toEqual([]);
    const now = T0 + 45 * MIN; // we were suspended for 45 min
    if (detectClockJump(lastSweep, now, 5000) === 'forward') t.regrace(now);
    expect(t.expired(now)).toEqual([]);
    lastSweep = now;
    // Sensors that speak again stay online; the silent ones expire a full window after the pause.
    for (let i = 0; i < 90; i++) t.touch(`s${i}`, now + 30_000, IV, BEATS);
    expect(t.expired(now + 3 * MIN - 1)).toEqual([]);
    expect(t.expired(now + 3 * MIN)).toHaveLength(10);
  });

  it('older or repeated touches do not move the deadline back; remove forgets the sensor', () => {
    const t = new OfflineTracker({ startedAt: 0 });
    t.touch('a', T0, IV, BEATS);
    t.touch('a', T0 - MIN, IV, BEATS);
    expect(t.lastSeenOf('a')).toBe(T0);
    expect(t.expired(T0 + 3 * MIN - 1)).toEqual([]);
    t.remove('a');
    expect(t.expired(T0 + 3 * MIN)).toEqual([]);
    expect(t.size).toBe(0);
  });

  it('a removed then re-added sensor is tracked once, from its new last-seen', () => {
    const t = new OfflineTracker({ startedAt: 0 });
    t.touch('a', T0, IV, BEATS);
    t.remove('a');
    t.touch('a', T0 + 2 * MIN, IV, BEATS);
    expect(t.expired(T0 + 3 * MIN)).toEqual([]);
    expect(t.expired(T0 + 5 * MIN)).toEqual(['a']);
    expect(t.heapSize).toBeLessThanOrEqual(1);
  });

  it('a shorter interval (model change) pulls the deadline earlier', () => {
    const t = new OfflineTracker({ startedAt: 0 });
    t.touch('a', T0, 10 * MIN, 3);
    t.touch('a', T0, IV, BEATS);
    expect(t.expired(T0 + 3 * MIN)).toEqual(['a']);
  });

  it('per-sensor intervals (sensor models) are honoured', () => {
    const t = new OfflineTracker({ startedAt: 0 });
    t.touch('fast', T0, 10_000, 3);
    t.touch('slow', T0, 10 * MIN, 2);
    expect(t.expired(T0 + 30_000)).toEqual(['fast']);
    expect(t.expired(T0 + 20 * MIN - 1)).toEqual([]);
    expect(t.expired(T0 + 20 * MIN)).toEqual(['slow']);
  });

  it('matches a naive model under random touches and sweeps (and the heap stays bounded)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('touch' as const),
              id: fc.integer({ min: 0, max: 20 }),
              dt: fc.integer({ min: 0, max: 100_000 }),
            }),
            fc.record({ op: fc.constant('sweep' as const), dt: fc.integer({ min: 0, max: 200_000 }) }),
            fc.record({ op: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 20 }) }),
            fc.record({ op: fc.constant('regrace' as const), dt: fc.integer({ min: 0, max: 100_000 }) }),
          ),
          { maxLength: 300 },
        ),
        (ops) => {
          const t = new OfflineTracker({ startedAt: 0 });
          const model = new Map<string, { seen: number; silent: boolean }>();
          let now = 1_000_000;
          let graceFrom = 0;
          for (const o of ops) {
            if (o.op === 'touch') {
              now += o.dt;
              const id = `s${o.id}`;
              t.touch(id, now, 10_000, 3);
              model.set(id, { seen: now, silent: false });
            } else if (o.op === 'regrace') {
              now += o.dt;
              t.regrace(now);
              graceFrom = now;
            } else if (o.op === 'remove') {
              t.remove(`s${o.id}`);
              model.delete(`s${o.id}`);
            } else {
              now += o.dt;
              const expected = [...model.entries()]
                .filter(([, m]) => !m.silent && Math.max(m.seen, graceFrom) + 30_000 <= now)
                .map(([id]) => id)
                .sort();
              for (const id of expected) model.get(id)!.silent = true;
              expect(t.expired(now).sort()).toEqual(expected);
            }
          }
          expect(t.heapSize).toBeLessThanOrEqual(Math.max(1024, 4 * t.size) + 1);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('detectClockJump', () => {
  it.each([
    [null, T0, null],
    [T0, T0 + 5000, null],
    [T0, T0 + 15_000, null],
    [T0, T0 + 15_001, 'forward'],
    [T0, T0 - 1, 'backward'],
  ] as const)('last=%s now=%s → %s', (last, now, expected) => {
    expect(detectClockJump(last, now, 5000)).toBe(expected);
  });
});
