import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../alerting/alertModel.ts';
import { evaluateMessage } from '../../../alerting/evaluateMessage.ts';
import { quietHeartbeat } from '../../../alerting/rules/quietHeartbeat.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';
import { arming, HOUR, heartbeat, household, MIN, seal, T0 } from './fixtures.ts';

type Heartbeat = Extract<SealMessage, { kind: 'heartbeat' }>;
const beat = (over: Partial<Heartbeat> = {}) => heartbeat(T0, over) as Heartbeat;
const policy = () => DEFAULT_POLICY;
const none = { offline: false, lowBattery: false };
const closed = { door: 'closed' as const, tamper: false, lowBatteryNotified: false };

describe('quietHeartbeat: the heartbeats the engine skips the rules for', () => {
  it('the everyday heartbeat (door as held, battery fine, nothing open) is quiet', () => {
    expect(quietHeartbeat(beat(), closed, none, policy)).toBe(true);
    expect(quietHeartbeat(beat({ door: null, battery: null }), closed, none, policy)).toBe(true);
  });

  it.each([
    ['an offline alert to resolve', beat(), closed, { ...none, offline: true }],
    ['a door other than the one held', beat({ door: 'open' }), closed, none],
    [
      'a door position after an unknown one',
      beat({ door: 'closed' }),
      { ...closed, door: 'unknown' as const },
      none,
    ],
    ['the tamper flag rising', beat({ tamper: true }), closed, none],
    ['the device flagging its battery low', beat({ batteryLow: true }), closed, none],
    ['a reading under the threshold', beat({ battery: DEFAULT_POLICY.lowBatteryPct - 1 }), closed, none],
    [
      'a fresh battery re-arming the flag',
      beat({ battery: 100 }),
      { ...closed, lowBatteryNotified: true },
      none,
    ],
    ['a fresh battery resolving the alert', beat({ battery: 100 }), closed, { ...none, lowBattery: true }],
  ])('%s is not quiet', (_why, msg, before, active) => {
    expect(quietHeartbeat(msg, before, active, policy)).toBe(false);
  });

  it('a heartbeat it calls quiet decides nothing in evaluateMessage, whatever the state and alerts', () => {
    const ref = (on: boolean) => (on ? { id: 'a1', status: 'open' as const, count: 1 } : null);
    fc.assert(
      fc.property(
        fc.record({
          door: fc.constantFrom('open', 'closed', null),
          battery: fc.option(fc.integer({ min: 0, max: 100 })),
          batteryLow: fc.option(fc.boolean(), { nil: undefined }),
          tamper: fc.option(fc.boolean(), { nil: undefined }),
          dt: fc.integer({ min: -HOUR, max: HOUR }),
        }),
        fc.record({
          door: fc.constantFrom('open', 'closed', 'unknown'),
          tamper: fc.boolean(),
          lowBatteryNotified: fc.boolean(),
          commissioning: fc.boolean(),
        }),
        fc.record({
          offline: fc.boolean(),
          lowBattery: fc.boolean(),
          breach: fc.boolean(),
          tamper: fc.boolean(),
          doorLeftOpen: fc.boolean(),
          openCount: fc.boolean(),
        }),
        (m, s, a) => {
          const msg = heartbeat(T0 + m.dt, {
            door: m.door,
            battery: m.battery,
            ...(m.batteryLow === undefined ? {} : { batteryLow: m.batteryLow }),
            ...(m.tamper === undefined ? {} : { tamper: m.tamper }),
          }) as Heartbeat;
          const before = seal({
            door: s.door,
            tamper: s.tamper,
            lowBatteryNotified: s.lowBatteryNotified,
            commissioningUntil: s.commissioning ? T0 + HOUR : null,
            lastDoorChange: T0 - MIN,
          });
          if (!quietHeartbeat(msg, before, { offline: a.offline, lowBattery: a.lowBattery }, policy)) return;
          const counter = { dayKey: '2026-01-10', count: 2 };
          const r = evaluateMessage({
            msg,
            before,
            household,
            quarantines: arming().quarantines,
            windows: [],
            announcements: [],
            active: {
              breach: ref(a.breach),
              offline: ref(a.offline),
              tamper: ref(a.tamper),
              lowBattery: ref(a.lowBattery),
              openCount: ref(a.openCount),
              doorLeftOpen: ref(a.doorLeftOpen),
            },
            openCounter: counter,
            policy: DEFAULT_POLICY,
            tz: 'Asia/Shanghai',
          });
          expect(r.decisions).toEqual([]);
          expect(r.openCounter).toBe(counter);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
