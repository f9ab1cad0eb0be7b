/**
 * ParserBytes stands in for `bl`'s BufferList under mqtt-packet's parser (broker/parserBytes.ts).
 * The reference is BufferList itself, the one mqtt-packet loads: every method the parser calls must
 * answer as it does, on the same bytes cut into chunks at every place, and the parser must emit the
 * same packets on either.
 */
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { requireFromMqttPacket } from '../../../broker/aedesInternals.ts';
import { ParserBytes } from '../../../broker/parserBytes.ts';

interface ByteList {
  length: number;
  append(chunk: Buffer): unknown;
  consume(bytes: number): unknown;
  readUInt8(offset: number): number;
  readUInt16BE(offset: number): number;
  readUInt32BE(offset: number): number;
  slice(start?: number, end?: number): Buffer;
  toString(encoding?: BufferEncoding, start?: number, end?: number): string;
}

const { BufferList } = requireFromMqttPacket('bl') as { BufferList: new () => ByteList };

/** The same bytes appended to both, cut at the given offsets. */
function both(bytes: Buffer, cuts: number[]): [ByteList, ParserBytes] {
  const reference = new BufferList();
  const ours = new ParserBytes();
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    reference.append(bytes.subarray(from, to));
    ours.append(bytes.subarray(from, to));
    from = to;
  }
  return [reference, ours];
}

/** What a call answers, or the kind of error it throws. */
function outcome(call: () => unknown): unknown {
  try {
    const value = call();
    return Buffer.isBuffer(value) ? { bytes: [...value] } : value;
  } catch (err) {
    return { threw: (err as Error).name };
  }
}

const bytes = Buffer.from(Array.from({ length: 23 }, (_, i) => (i * 37 + 11) & 0xff));
// Valid UTF-8 with multi-byte characters, so a string cut across chunks is decoded whole.
const text = Buffer.from('门磁 seal/一号 heartbeat', 'utf8');

describe('ParserBytes answers as bl BufferList does', () => {
  it('integer reads at every offset, for every way of cutting the bytes in two or three, after consuming', () => {
    for (let a = 0; a <= bytes.length; a++) {
      for (const b of [a, a + 1, a + 5, bytes.length]) {
        const cuts = [a, Math.min(b, bytes.length)];
        for (const consumed of [0, 1, 3, a]) {
          const [reference, ours] = both(bytes, cuts);
          reference.consume(consumed);
          ours.consume(consumed);
          expect(ours.length).toBe(reference.length);
          for (let offset = -1; offset <= reference.length + 1; offset++) {
            for (const read of ['readUInt8', 'readUInt16BE', 'readUInt32BE'] as const) {
              expect(
                outcome(() => ours[read](offset)),
                `${read}(${offset}) cuts ${cuts} consumed ${consumed}`,
              ).toEqual(outcome(() => reference[read](offset)));
            }
          }
        }
      }
    }
  });

  it('slices and strings of every range, including ranges past the end, empty ones and negative starts', () => {
    for (let a = 0; a <= text.length; a += 2) {
      const cuts = [a, Math.min(a + 7, text.length)];
      for (const consumed of [0, 2]) {
        const [reference, ours] = both(text, cuts);
        reference.consume(consumed);
        ours.consume(consumed);
        const n = reference.length;
        // The parser's ranges never end before they start; BufferList's answer to one depends on
        // where its chunks are cut (it can return bytes), so those are not compared.
        const ranges: Array<[number, number]> = [
          [-3, n],
          [-1, n + 2],
        ];
        for (let start = 0; start <= n + 1; start += 3)
          for (let end = start; end <= n + 2; end += 2) ranges.push([start, end]);
        for (const [start, end] of ranges) {
          const where = `[${start}, ${end}) cuts ${cuts} consumed ${consumed}`;
          expect(
            outcome(() => ours.slice(start, end)),
            `slice${where}`,
          ).toEqual(outcome(() => reference.slice(start, end)));
          expect(
            outcome(() => ours.toString('utf8', start, end)),
            `toString${where}`,
          ).toEqual(outcome(() => reference.toString('utf8', start, end)));
        }
        expect(ours.slice()).toEqual(reference.slice());
        expect(ours.toString()).toBe(reference.toString());
      }
    }
  });

  it('consume: past the end, zero, negative, fractional and NaN', () => {
    for (const amount of [0, -3, 2.7, Number.NaN, 5, 40]) {
      const [reference, ours] = both(bytes, [4, 9]);
      reference.consume(amount);
      ours.consume(amount);
      expect(ours.length, `consume(${amount})`).toBe(reference.length);
      expect(ours.slice(), `consume(${amount})`).toEqual(reference.slice());
    }
  });

  it('a slice inside one chunk is a view of it (no copy), as BufferList gives', () => {
    // A chunk of its own (Buffer.from of an array shares Node's pool with any copy, so comparing
    // `.buffer` could not tell a view from a copy): a view sees a later change to the chunk.
    const chunk = Buffer.alloc(bytes.length);
    bytes.copy(chunk);
    const [, ours] = both(chunk, [10]);
    ours.consume(2);
    const view = ours.slice(1, 5);
    expect([...view]).toEqual([...bytes.subarray(3, 7)]);
    chunk[3] = (chunk[3] as number) ^ 0xff;
    expect(view[0]).toBe(chunk[3]);
  });
});

describe('mqtt-packet parses the same packets on ParserBytes as on its own buffer', () => {
  const packets = [
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'seal-一号',
      keepalive: 60,
      username: 'seal-1',
      password: Buffer.from('s3cret'),
      will: { topic: 'seal/s1/status', payload: Buffer.from('offline'), qos: 1, retain: true },
    }),
    mqttPacket.generate({
      cmd: 'publish',
      topic: 'seal/s1/heartbeat',
      payload: Buffer.from(JSON.stringify({ ts: 1, seq: 2, door: 'closed', battery: 90, rssi: -70 })),
      qos: 1,
      messageId: 513,
      retain: false,
      dup: false,
    }),
    mqttPacket.generate({
      cmd: 'subscribe',
      messageId: 7,
      subscriptions: [{ topic: 'seal/+/config', qos: 1 }],
    }),
    // A payload of 200 bytes needs two bytes of remaining length.
    mqttPacket.generate({
      cmd: 'publish',
      topic: 'seal/s1/event',
      payload: Buffer.alloc(200, 0x61),
      qos: 1,
      messageId: 65535,
      retain: false,
      dup: false,
    }),
    mqttPacket.generate({ cmd: 'pingreq' }),
    mqttPacket.generate({ cmd: 'puback', messageId: 9 }),
  ];
  const stream = Buffer.concat(packets);

  const parse = (chunks: Buffer[], ours: boolean): unknown[] => {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    if (ours) (parser as unknown as { _list: unknown })._list = new ParserBytes();
    const seen: unknown[] = [];
    parser.on('packet', (p) => seen.push({ ...p }));
    parser.on('error', (err) => seen.push({ error: err.message }));
    for (const chunk of chunks) parser.parse(chunk);
    return seen;
  };

  it('cut once at every byte, and byte by byte', () => {
    const whole = parse([stream], false);
    expect(whole).toHaveLength(packets.length);
    for (let at = 0; at <= stream.length; at++) {
      const chunks = [stream.subarray(0, at), stream.subarray(at)];
      expect(parse(chunks, true), `cut at ${at}`).toEqual(whole);
    }
    expect(
      parse(
        [...stream].map((b) => Buffer.from([b])),
        true,
      ),
    ).toEqual(whole);
  });

  it('a malformed remaining length is the same error', () => {
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(parse([bad], true)).toEqual(parse([bad], false));
    expect(parse([bad], true)).toEqual([{ error: 'Invalid variable byte integer' }]);
  });
});
