import { describe, expect, it } from 'vitest';
import { nativeEventSchema, nativeHeartbeatSchema } from '../../../contract/topics.ts';
import { formatCredentialsCsv, parseCredentialsCsv } from '../../../simulator/fleet/credentials.ts';
import { SimDevice } from '../../../simulator/fleet/device.ts';
import { nextSeq } from '../../../simulator/fleet/payloads.ts';
import { Battery } from '../../../simulator/models/battery.ts';
import { createRng } from '../../../simulator/models/rng.ts';

const device = (dialect: 'native' | 'zigbee2mqtt') =>
  new SimDevice({
    sensorId: 'door-7',
    dialect,
    rng: createRng(1),
    battery: new Battery({ startPercent: 97, drainPerHour: 0 }, 0),
    rssiBase: -70,
    nowMs: 1_700_000_000_000,
  });

describe('device messages', () => {
  it('sends native payloads that satisfy the wire contract, one seq counter for both kinds', () => {
    const d = device('native');
    const hb = d.transmit('heartbeat', 1_700_000_000_100);
    const open = d.transmit('open', 1_700_000_000_200);
    const hb2 = d.transmit('heartbeat', 1_700_000_000_300);
    expect(hb.topic).toBe('seal/door-7/heartbeat');
    expect(open.topic).toBe('seal/door-7/event');
    const h = nativeHeartbeatSchema.parse(JSON.parse(hb.payload));
    const e = nativeEventSchema.parse(JSON.parse(open.payload));
    const h2 = nativeHeartbeatSchema.parse(JSON.parse(hb2.payload));
    expect(e).toMatchObject({ type: 'open', ts: 1_700_000_000_200 });
    expect([e.seq - h.seq, h2.seq - e.seq]).toEqual([1, 1]);
    expect(h.door).toBe('closed');
    expect(h2.door).toBe('open');
  });

  it('speaks Zigbee2MQTT: contact false means open', () => {
    const d = device('zigbee2mqtt');
    const open = d.transmit('open', 1);
    expect(open.topic).toBe('zigbee2mqtt/door-7');
    expect(JSON.parse(open.payload)).toEqual({
      contact: false,
      battery: 97,
      linkquality: expect.any(Number),
      tamper: false,
      voltage: 2973,
    });
    expect(JSON.parse(d.transmit('tamper', 2).payload)).toMatchObject({ contact: false, tamper: true });
    expect(JSON.parse(d.transmit('close', 3).payload)).toMatchObject({ contact: true, tamper: false });
  });

  it('wraps seq as a uint32', () => {
    expect(nextSeq(0xffff_ffff)).toBe(0);
  });
});

describe('credentials CSV', () => {
  it('round-trips and tolerates quotes, BOM and comments', () => {
    const rows = [
      { sensorId: 's1', secret: 'a,b"c', householdId: 'h1', gridId: 'g1' },
      { sensorId: 's2', secret: 'x' },
    ];
    expect(parseCredentialsCsv(formatCredentialsCsv(rows))).toEqual(rows);
    expect(parseCredentialsCsv('\uFEFFsecret,sensorId\n# note\n"p",s3\n')).toEqual([
      { sensorId: 's3', secret: 'p' },
    ]);
  });

  it('names the line and the problem', () => {
    expect(() => parseCredentialsCsv('id,secret\n', 'c.csv')).toThrow(
      'c.csv line 1 must name the columns sensorId and secret',
    );
    expect(() => parseCredentialsCsv('sensorId,secret\nbad id,x\n', 'c.csv')).toThrow(
      'c.csv line 2: sensor id "bad id"',
    );
    expect(() => parseCredentialsCsv('sensorId,secret\ns1,\n', 'c.csv')).toThrow(
      'c.csv line 2: sensor s1 has no secret',
    );
    expect(() => parseCredentialsCsv('sensorId,secret\ns1,a\ns1,b\n', 'c.csv')).toThrow(
      'line 3: sensor s1 is listed twice',
    );
  });
});
