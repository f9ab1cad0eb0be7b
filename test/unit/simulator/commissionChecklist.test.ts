import { describe, expect, it } from 'vitest';
import { CommissionChecklist } from '../../../simulator/commission/checklist.ts';
import { describeMissing } from '../../../simulator/commission/commission.ts';

const hb = (door = 'closed', battery = 90) => JSON.stringify({ ts: 1, seq: 1, door, battery, rssi: -60 });
const ev = (type: string) => JSON.stringify({ type, ts: 1, seq: 2 });

describe('commissioning checklist', () => {
  it('passes after a heartbeat, an open and then a close', () => {
    const c = new CommissionChecklist('door-1');
    expect(c.observe('seal/door-1/heartbeat', hb())?.satisfied).toEqual(['heartbeat']);
    expect(c.observe('seal/door-1/event', ev('open'))?.satisfied).toEqual(['open']);
    expect(c.passed).toBe(false);
    expect(c.observe('seal/door-1/event', ev('close'))?.satisfied).toEqual(['close']);
    expect(c.passed).toBe(true);
    expect(c.missing).toEqual([]);
  });

  it('does not count a close before any open, nor retained or invalid messages', () => {
    const c = new CommissionChecklist('door-1');
    expect(c.observe('seal/door-1/event', ev('close'))?.text).toMatch(/open the door first/);
    expect(c.observe('seal/door-1/heartbeat', hb(), true)?.satisfied).toEqual([]);
    const bad = c.observe('seal/door-1/heartbeat', '{"ts":1}');
    expect(bad?.problem).toBe(true);
    expect(bad?.text).toMatch(/^INVALID heartbeat/);
    c.observe('seal/door-1/event', ev('open'));
    expect(c.missing).toEqual(['heartbeat', 'close']);
    expect(describeMissing(c.missing)).toBe('a heartbeat, a close after the open (door closed again)');
  });

  it('ignores other sensors and flags a low battery', () => {
    const c = new CommissionChecklist('door-1');
    expect(c.observe('seal/door-2/heartbeat', hb())).toBeNull();
    const low = c.observe('seal/door-1/heartbeat', hb('closed', 12));
    expect(low?.problem).toBe(true);
    expect(low?.text).toMatch(/LOW BATTERY/);
  });

  it('understands Zigbee2MQTT: every message is a heartbeat, contact false is open', () => {
    const c = new CommissionChecklist('door-1', 'hall_door');
    expect(c.observe('zigbee2mqtt/other', '{"contact":true}')).toBeNull();
    expect(c.observe('zigbee2mqtt/hall_door', '{"contact":true,"battery":97}')?.satisfied).toEqual([
      'heartbeat',
    ]);
    expect(c.observe('zigbee2mqtt/hall_door', '{"contact":false,"battery":97}')?.satisfied).toEqual(['open']);
    expect(c.observe('zigbee2mqtt/hall_door', '{"contact":true,"battery":97}')?.satisfied).toEqual(['close']);
    expect(c.passed).toBe(true);
  });

  it('understands Shelly Door/Window: the battery report is the heartbeat, sensor/state the door', () => {
    const c = new CommissionChecklist('door-1', 'shellydw2-8A1B2C');
    const base = 'shellies/shellydw2-8A1B2C';
    expect(c.observe('shellies/shellydw2-FFFFFF/sensor/state', 'open')).toBeNull();
    expect(c.observe(`${base}/sensor/lux`, '12')).toBeNull();
    expect(c.observe(`${base}/online`, 'true', true)?.satisfied).toEqual([]);
    expect(c.observe(`${base}/sensor/state`, 'open', true)?.satisfied).toEqual([]);
    expect(c.observe(`${base}/sensor/battery`, '8')?.problem).toBe(true);
    expect(c.observe(`${base}/sensor/state`, 'ajar')?.text).toMatch(/^INVALID shelly sensor\/state/);
    expect(c.observe(`${base}/sensor/state`, 'open')?.satisfied).toEqual(['open']);
    expect(c.observe(`${base}/sensor/state`, 'close')?.satisfied).toEqual(['close']);
    expect(c.missing).toEqual([]);
    expect(c.passed).toBe(true);
  });
});
