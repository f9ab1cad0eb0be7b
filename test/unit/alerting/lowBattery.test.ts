import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../alerting/alertModel.ts';
import { DEFAULT_POLICY } from '../../../alerting/alertModel.ts';
import { evaluateBattery } from '../../../alerting/rules/lowBattery.ts';
import { T0 } from './fixtures.ts';

describe('low battery: once per battery', () => {
  it('drains, wobbles around the threshold, is replaced, drains again → exactly two alerts', () => {
    let notified = false;
    let active: { id: string; status: 'open'; count: number } | null = null;
    const raised: number[] = [];
    // 60 after the first alert is a recovery, not a new battery; 100 is one.
    const readings = [90, 40, 21, 19, 22, 18, 19, 15, 35, 60, 45, 100, 60, 19, 25, 18];
    readings.forEach((battery, i) => {
      const ds: Decision[] = evaluateBattery({
        sensorId: 's1',
        householdId: 'h1',
        gridId: 'g1',
        battery,
        notified,
        commissioning: false,
        active,
        at: T0 + i,
        policy: DEFAULT_POLICY,
      });
      for (const d of ds) {
        if (d.kind === 'raise') {
          raised.push(battery);
          expect(d.alert).toMatchObject({
            type: 'lowBattery',
            severity: 'maintenance',
            detail: { battery, threshold: 20 },
          });
          active = { id: `lb${i}`, status: 'open', count: 1 };
        }
        if (d.kind === 'setLowBatteryNotified') notified = d.value;
        if (d.kind === 'resolve') {
          expect(d.reason).toBe('batteryReplaced');
          active = null;
        }
      }
    });
    expect(raised).toEqual([19, 19]);
  });

  it('exactly 20 % is not low; only a reading above 90 % counts as a new battery', () => {
    const base = {
      sensorId: 's1',
      householdId: 'h1',
      gridId: 'g1',
      commissioning: false,
      active: null,
      at: T0,
      policy: DEFAULT_POLICY,
    };
    expect(evaluateBattery({ ...base, battery: 20, notified: false })).toEqual([]);
    expect(evaluateBattery({ ...base, battery: 91, notified: true })).toEqual([
      { kind: 'setLowBatteryNotified', sensorId: 's1', value: false },
    ]);
    // A battery recovering to 60 % (warm weather, a rest) or exactly 90 % is the same battery.
    expect(evaluateBattery({ ...base, battery: 90, notified: true })).toEqual([]);
    expect(evaluateBattery({ ...base, battery: 60, notified: true })).toEqual([]);
  });

  it('commissioning raises nothing and keeps the flag, so the alert follows afterwards', () => {
    const base = {
      sensorId: 's1',
      householdId: 'h1',
      gridId: 'g1',
      active: null,
      at: T0,
      policy: DEFAULT_POLICY,
      battery: 10,
      notified: false,
    };
    expect(evaluateBattery({ ...base, commissioning: true })).toEqual([]);
    expect(evaluateBattery({ ...base, commissioning: false }).map((d) => d.kind)).toEqual([
      'raise',
      'setLowBatteryNotified',
    ]);
  });
});
