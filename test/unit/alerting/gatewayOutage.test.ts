/**
 * A gateway that goes silent is one alert (issue 16.2): the rule with plain values, the tracker's
 * fresh window when the gateway is back, and the alert's subject (one per gateway).
 */
import { describe, expect, it } from 'vitest';
import { alertSubjectKey } from '../../../alerting/alertModel.ts';
import { OfflineTracker } from '../../../alerting/offlineTracker.ts';
import { evaluateGateways, type GatewayView } from '../../../alerting/rules/gatewayOutage.ts';
import { MIN, T0 } from './fixtures.ts';

const WINDOW = 3 * MIN;
const HOUR_LATER = 60 * MIN;

function gateway(over: Partial<GatewayView> = {}): GatewayView {
  return {
    gatewayId: 'gw-1',
    name: 'East wing',
    gridId: 'village',
    sensorIds: ['z-1', 'z-2', 'z-3'],
    offlineSince: null,
    silent: [],
    monitored: 3,
    active: null,
    ...over,
  };
}

const allSilent = (deadline: number) =>
  ['z-1', 'z-2', 'z-3'].map((sensorId, i) => ({ sensorId, deadline: deadline + i * 1000 }));

describe('a gateway that said it is offline', () => {
  it('holds its sensors back at once and raises one outage for the gateway after one offline window', () => {
    const g = gateway({ offlineSince: T0 });
    const early = evaluateGateways({ now: T0 + WINDOW - 1, gateways: [g], offlineWindowMs: WINDOW });
    expect(early.decisions).toEqual([]);
    expect([...early.heldBack].sort()).toEqual(['z-1', 'z-2', 'z-3']);

    const due = evaluateGateways({ now: T0 + WINDOW, gateways: [g], offlineWindowMs: WINDOW });
    expect(due.decisions).toEqual([
      {
        kind: 'raise',
        alert: {
          type: 'outage',
          severity: 'critical',
          gridId: 'village',
          openedAt: T0 + WINDOW,
          detail: expect.objectContaining({
            gatewayId: 'gw-1',
            cause: 'gatewayOffline',
            offlineSince: T0,
            silent: 3,
            monitored: 3,
          }),
        },
      },
    ]);
  });

  it('does not wait for the start-up grace: that it said so is known, not inferred', () => {
    const out = evaluateGateways({
      now: T0 + WINDOW,
      gateways: [gateway({ offlineSince: T0 })],
      offlineWindowMs: WINDOW,
      raiseNotBefore: T0 + 10 * WINDOW,
    });
    expect(out.decisions).toHaveLength(1);
  });

  it('raises nothing more while its alert is open, and nothing with no monitored sensor behind it', () => {
    const open = gateway({ offlineSince: T0, active: { id: 'a1', status: 'open', count: 1 } });
    const unwatched = gateway({ gatewayId: 'gw-2', offlineSince: T0, monitored: 0 });
    const out = evaluateGateways({
      now: T0 + 2 * WINDOW,
      gateways: [open, unwatched],
      offlineWindowMs: WINDOW,
    });
    expect(out.decisions).toEqual([]);
    // Held back all the same: the gateway explains their silence.
    expect(out.heldBack.size).toBe(3);
  });
});

describe('a gateway whose sensors are all silent', () => {
  it('is one outage once the last one is past its deadline, not before the start-up grace', () => {
    const g = gateway({ silent: allSilent(T0) });
    const graced = evaluateGateways({
      now: T0 + 2000,
      gateways: [g],
      offlineWindowMs: WINDOW,
      raiseNotBefore: T0 + 5000,
    });
    expect(graced.decisions).toEqual([]);
    expect(graced.heldBack.size).toBe(3);
    const out = evaluateGateways({
      now: T0 + 5000,
      gateways: [g],
      offlineWindowMs: WINDOW,
      raiseNotBefore: T0 + 5000,
    });
    expect(out.decisions).toMatchObject([
      { kind: 'raise', alert: { type: 'outage', detail: { gatewayId: 'gw-1', cause: 'sensorsSilent' } } },
    ]);
  });

  it('one sensor still heard: no gateway silence, the silent ones are judged on their own', () => {
    const g = gateway({ silent: allSilent(T0).slice(0, 2) });
    const out = evaluateGateways({ now: T0 + HOUR_LATER, gateways: [g], offlineWindowMs: WINDOW });
    expect(out).toEqual({ decisions: [], heldBack: new Set(), back: [] });
  });

  it('a gateway of one sensor (a Shelly) is that sensor’s own offline alert', () => {
    const g = gateway({ sensorIds: ['z-1'], silent: [{ sensorId: 'z-1', deadline: T0 }], monitored: 1 });
    const out = evaluateGateways({ now: T0 + HOUR_LATER, gateways: [g], offlineWindowMs: WINDOW });
    expect(out).toEqual({ decisions: [], heldBack: new Set(), back: [] });
  });
});

describe('a gateway that is back', () => {
  it('resolves its alert by itself and asks for its sensors to be judged afresh', () => {
    const g = gateway({
      silent: allSilent(T0).slice(0, 1),
      active: { id: 'a1', status: 'acknowledged', count: 1 },
    });
    const out = evaluateGateways({ now: T0 + WINDOW, gateways: [g], offlineWindowMs: WINDOW });
    expect(out.decisions).toEqual([
      {
        kind: 'resolve',
        alertId: 'a1',
        at: T0 + WINDOW,
        reason: 'backOnline',
        detail: { gatewayId: 'gw-1' },
      },
    ]);
    expect(out.back).toEqual(['gw-1']);
    expect(out.heldBack.size).toBe(0);
  });
});

describe('a gateway taken off the registry', () => {
  it('has nothing behind it: its open alert resolves', () => {
    const g = gateway({ sensorIds: [], monitored: 0, active: { id: 'a1', status: 'open', count: 1 } });
    const out = evaluateGateways({ now: T0, gateways: [g], offlineWindowMs: WINDOW });
    expect(out.decisions).toMatchObject([{ kind: 'resolve', alertId: 'a1' }]);
  });
});

describe('one gateway outage per gateway', () => {
  it('is keyed by the gateway, apart from a node’s outage and from another gateway at the same node', () => {
    const base = { type: 'outage' as const, gridId: 'village' };
    expect(alertSubjectKey(base)).toBe('grid:village');
    expect(alertSubjectKey({ ...base, detail: { gatewayId: 'gw-1' } })).toBe('gateway:gw-1');
    expect(alertSubjectKey({ ...base, detail: { gatewayId: 'gw-2' } })).toBe('gateway:gw-2');
  });
});

describe('OfflineTracker.restartWindow', () => {
  it('a silent sensor whose gateway is back is silent again only after its own window from then', () => {
    const t = new OfflineTracker({ startedAt: T0 - 10 * MIN });
    t.touch('z-1', T0, MIN, 3);
    expect(t.expired(T0 + WINDOW)).toEqual(['z-1']);
    t.restartWindow('z-1', T0 + 10 * MIN);
    expect(t.isSilent('z-1')).toBe(false);
    expect(t.lastSeenOf('z-1')).toBe(T0); // not a sign of life
    expect(t.expired(T0 + 10 * MIN + WINDOW - 1)).toEqual([]);
    expect(t.expired(T0 + 10 * MIN + WINDOW)).toEqual(['z-1']);
    expect(t.silentDeadline('z-1')).toBe(T0 + 10 * MIN + WINDOW);
  });

  it('a sensor not yet silent keeps its queued deadline until it surfaces, then moves to the new one', () => {
    const t = new OfflineTracker({ startedAt: T0 - 10 * MIN });
    t.touch('z-1', T0, MIN, 3);
    t.restartWindow('z-1', T0 + MIN);
    expect(t.expired(T0 + WINDOW)).toEqual([]);
    expect(t.expired(T0 + MIN + WINDOW)).toEqual(['z-1']);
  });

  it('a message after it counts from the message as always', () => {
    const t = new OfflineTracker({ startedAt: T0 - 10 * MIN });
    t.touch('z-1', T0, MIN, 3);
    t.restartWindow('z-1', T0 + MIN);
    t.touch('z-1', T0 + 2 * MIN, MIN, 3);
    expect(t.expired(T0 + 2 * MIN + WINDOW - 1)).toEqual([]);
    expect(t.expired(T0 + 2 * MIN + WINDOW)).toEqual(['z-1']);
  });
});
