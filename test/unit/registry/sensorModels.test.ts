import { describe, expect, it } from 'vitest';
import { createModelBody, updateModelBody } from '../../../registry/modelSchemas.ts';
import {
  DEFAULT_GENERIC_HEARTBEAT,
  GENERIC_MODEL,
  modelCatalog,
  offlineAfterMs,
  SHIPPED_MODELS,
} from '../../../registry/sensorModels.ts';

const H = 3_600_000;
const shipped = (id: string) => {
  const m = SHIPPED_MODELS.find((x) => x.id === id);
  if (!m) throw new Error(`no shipped model ${id}`);
  return m;
};

describe('the shipped sensor models', () => {
  it('ids are unique, valid API ids, and none is generic', () => {
    const ids = SHIPPED_MODELS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain(GENERIC_MODEL);
    for (const id of ids)
      expect(createModelBody.safeParse({ id, heartbeatInterval: '1h' }).success).toBe(true);
  });

  // Each line: the device's reporting interval and the offline deadline its source gives.
  it.each([
    ['aqara-mccgq11lm', 1 * H, 3 * H], // check-in fixed at 1 h; three missed
    ['sonoff-snzb-04', 2 * H, 6 * H], // battery report 3600–7200 s; three missed
    ['tuya-ts0203', 65_000_000, 25.3 * H], // battery report max 65000 s; Zigbee2MQTT passive 1500 min
    ['shelly-dw2', 12 * H, 14.4 * H], // wakes every 12 h; Home Assistant: 1.2 × sleep period
    ['nbiot-seal', 24 * H, 25 * H], // 4–24 h schedules; carrier platform offline after ~25 h
  ])('%s reports every %i ms and is offline after ~%i ms', (id, interval, offline) => {
    const m = shipped(id);
    expect(m.heartbeatIntervalMs).toBe(interval);
    expect(Math.abs(offlineAfterMs(m) - offline)).toBeLessThan(0.05 * H);
    // Never offline before the device could have reported at least once.
    expect(offlineAfterMs(m)).toBeGreaterThanOrEqual(m.heartbeatIntervalMs);
  });

  it('a vendor timeout is matched where one exists: Zigbee2MQTT 25 h, Home Assistant 1.2 ×, carrier 25 h', () => {
    expect(offlineAfterMs(shipped('tuya-ts0203'))).toBeLessThanOrEqual(25.5 * H);
    expect(shipped('shelly-dw2').missedHeartbeats).toBe(1.2);
    expect(offlineAfterMs(shipped('nbiot-seal'))).toBe(25 * H);
  });

  it('only the Shelly heartbeat lacks the door position (our decoder reads its battery only)', () => {
    expect(SHIPPED_MODELS.filter((m) => !m.heartbeatCarriesDoor).map((m) => m.id)).toEqual(['shelly-dw2']);
  });
});

describe('the model catalog', () => {
  const env = { heartbeatIntervalMs: 1_000, missedHeartbeats: 5 };

  it('generic follows the environment, whatever is stored under its id', () => {
    const stored = [{ ...shipped('sonoff-snzb-04'), id: GENERIC_MODEL, builtIn: false }];
    const generic = modelCatalog(env, stored).get(GENERIC_MODEL)!;
    expect(generic).toMatchObject({ heartbeatIntervalMs: 1_000, missedHeartbeats: 5, builtIn: true });
    expect(offlineAfterMs(modelCatalog(DEFAULT_GENERIC_HEARTBEAT, []).get(GENERIC_MODEL)!)).toBe(180_000);
  });

  it('a stored edit wins over the shipped numbers and stays built in; an added model is not built in', () => {
    const edited = { ...shipped('aqara-mccgq11lm'), missedHeartbeats: 6, builtIn: false };
    const added = { ...shipped('aqara-mccgq11lm'), id: 'own', builtIn: false };
    const catalog = modelCatalog(env, [edited, added]);
    expect(catalog.get('aqara-mccgq11lm')).toMatchObject({ missedHeartbeats: 6, builtIn: true });
    expect(catalog.get('own')?.builtIn).toBe(false);
    expect(catalog.size).toBe(1 + SHIPPED_MODELS.length + 1);
  });
});

describe('model bodies', () => {
  it('intervals are written as in the environment, at least a second', () => {
    expect(createModelBody.parse({ id: 'm', heartbeatInterval: '90s' }).heartbeatInterval).toBe(90_000);
    for (const bad of ['500ms', 'soon', '8d', '1h '])
      expect(createModelBody.safeParse({ id: 'm', heartbeatInterval: bad }).success, bad).toBe(bad === '1h ');
  });

  it('a change names at least one known field; missed beats ≥ 1; null hands low battery to the policy', () => {
    expect(updateModelBody.safeParse({}).success).toBe(false);
    expect(updateModelBody.safeParse({ interval: '1h' }).success).toBe(false);
    expect(updateModelBody.safeParse({ missedHeartbeats: 0.5 }).success).toBe(false);
    expect(updateModelBody.parse({ lowBatteryPercent: null })).toEqual({ lowBatteryPercent: null });
    // Capped like the policy's: near 90 % every report would look like a new battery.
    expect(updateModelBody.parse({ lowBatteryPercent: 35 })).toEqual({ lowBatteryPercent: 35 });
    const high = updateModelBody.safeParse({ lowBatteryPercent: 90 });
    expect(high.success).toBe(false);
    expect(high.error?.issues[0]?.message).toMatch(/lowBatteryPercent must be below 50/);
  });
});
