import { Readable } from 'node:stream';
import fc from 'fast-check';
import { generate, type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  type GuardViolation,
  guardConnections,
  type PacketGuard,
  packetGuardOf,
} from '../../../broker/packetGuard.ts';

/**
 * The guard works on the connection's own stream: it replaces `read`, which Aedes calls with
 * `conn.read(null)` on 'readable' (lib/client.js). The stream here is a real Node Readable (what a
 * WebSocket connection is; a TCP socket is one with a kernel behind it); `feed` pushes bytes as
 * the network would and then reads as Aedes does, keeping what the broker was handed.
 */
class Connection {
  readonly stream = new Readable({ read() {} });
  readonly violations: GuardViolation[] = [];
  readonly guard: PacketGuard;
  private readonly handed: Buffer[] = [];

  constructor(maxPacketSize = 4096) {
    const guard = guardConnections((_guard, violation) => this.violations.push(violation));
    this.guard = guard(this.stream, '10.0.0.7', maxPacketSize);
    this.stream.on('error', () => undefined);
  }

  /** Bytes arriving; the broker reads them at once. */
  feed(bytes: Buffer): void {
    this.arrive(bytes);
    this.brokerReads();
  }

  /** Bytes arriving while the broker is busy (not reading). */
  arrive(bytes: Buffer): void {
    if (!this.stream.destroyed) this.stream.push(bytes);
  }

  /** What Aedes' nextBatch does: everything buffered, or null. */
  brokerReads(): void {
    const chunk = this.stream.read() as Buffer | null;
    if (chunk !== null) this.handed.push(chunk);
  }

  /** Everything the broker was handed so far. */
  output(): Buffer {
    return Buffer.concat(this.handed);
  }

  get destroyed(): boolean {
    return this.stream.destroyed;
  }
}

const harness = (maxPacketSize?: number) => new Connection(maxPacketSize);

const CONNECT = generate({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 4,
  clientId: 's-001',
  username: 's-001',
  password: Buffer.from('secret'),
  clean: true,
  keepalive: 60,
  will: { topic: 'seal/s-001/status', payload: Buffer.from('offline'), qos: 1, retain: true },
});
const PUBLISH = generate({
  cmd: 'publish',
  topic: 'seal/s-001/event',
  payload: Buffer.from('{"type":"open","ts":1700000000000,"seq":7}'),
  qos: 1,
  messageId: 42,
  dup: false,
  retain: false,
});
const PINGREQ = generate({ cmd: 'pingreq' });

function feedInChunks(connection: Connection, bytes: Buffer, sizes: number[]): void {
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const size = Math.max(1, sizes[k++ % Math.max(1, sizes.length)] ?? 1);
    connection.feed(bytes.subarray(i, i + size));
    i += size;
  }
}

describe('PacketGuard: well-formed traffic', () => {
  it('passes CONNECT then PUBLISH through unchanged', async () => {
    const h = harness();
    const input = Buffer.concat([CONNECT, PUBLISH, PINGREQ]);
    h.feed(input);
    expect(h.output()).toEqual(input);
    expect(h.violations).toEqual([]);
    expect(h.destroyed).toBe(false);
  });

  it('passes them through unchanged when they arrive one byte at a time', async () => {
    const h = harness();
    const input = Buffer.concat([CONNECT, PUBLISH, PINGREQ]);
    feedInChunks(h, input, [1]);
    expect(h.output()).toEqual(input);
    expect(h.violations).toEqual([]);
  });

  it('accepts a packet of exactly the maximum size and refuses one byte more', () => {
    const body = (n: number) => Buffer.concat([Buffer.from([0x30, n]), Buffer.alloc(n)]);
    const limit = 100; // one-byte remaining lengths, and CONNECT fits
    const ok = harness(limit);
    ok.feed(CONNECT);
    ok.feed(body(limit - 2));
    expect(ok.violations).toEqual([]);
    const big = harness(limit);
    big.feed(CONNECT);
    big.feed(body(limit - 1));
    expect(big.violations).toEqual(['packet_too_large']);
  });

  it('setMaxPacketSize raises the limit for later packets', () => {
    const h = harness(200);
    h.feed(CONNECT);
    h.guard.setMaxPacketSize(100_000);
    h.feed(
      generate({
        cmd: 'publish',
        topic: 't',
        payload: Buffer.alloc(5_000),
        qos: 0,
        dup: false,
        retain: false,
      }),
    );
    expect(h.violations).toEqual([]);
  });

  it('reads nothing on its own: what the broker has not read stays in the stream, under its back-pressure', () => {
    const h = harness(1 << 20);
    const publish = generate({
      cmd: 'publish',
      topic: 't',
      payload: Buffer.alloc(4_000),
      qos: 0,
      dup: false,
      retain: false,
    });
    h.feed(CONNECT);
    let arrived = 0;
    let accepted = true;
    for (let i = 0; i < 20 && accepted; i++) {
      accepted = h.stream.push(publish);
      arrived += publish.length;
    }
    // push() said "stop" (the stream's high-water mark: a socket stops reading from the kernel),
    // and every byte is still in the stream's own buffer: the guard neither pulled nor copied it.
    expect(accepted).toBe(false);
    expect(h.stream.readableLength).toBe(arrived);
    expect(h.stream.readableFlowing).not.toBe(true);
    h.brokerReads();
    expect(h.output().length).toBe(CONNECT.length + arrived);
    expect(h.violations).toEqual([]);
  });

  it('checks packets the broker reads in one go after a busy spell, across chunk boundaries', () => {
    const h = harness(100);
    h.feed(CONNECT);
    h.arrive(PINGREQ);
    h.arrive(Buffer.from([0x30, 0x7f])); // PUBLISH announcing 127 bytes: over the limit
    h.brokerReads();
    expect(h.violations).toEqual(['packet_too_large']);
    expect(h.output()).toEqual(CONNECT);
  });

  it('is found again on the connection stream, with the address it was given', () => {
    const h = harness();
    expect(packetGuardOf(h.stream)).toBe(h.guard);
    expect(h.guard.remoteAddress).toBe('10.0.0.7');
    expect(packetGuardOf(new Readable({ read() {} }))).toBeUndefined();
  });

  it('reads from the stream are returned as they are (the same Buffer, no copy)', () => {
    const h = harness();
    h.arrive(CONNECT);
    expect(h.stream.read()).toBe(CONNECT);
    expect(h.violations).toEqual([]);
  });
});

describe('PacketGuard: violations', () => {
  it('refuses a remaining length of 256 MiB right after the header, before any body arrives', async () => {
    const h = harness();
    h.feed(CONNECT);
    const header = [0x30, 0xff, 0xff, 0xff, 0x7f]; // PUBLISH, remaining length 268 435 455
    for (const [i, byte] of header.entries()) {
      h.feed(Buffer.from([byte]));
      expect(h.violations).toEqual(i < header.length - 1 ? [] : ['packet_too_large']);
    }
    expect(h.destroyed).toBe(true);
    // At most the header bytes that arrived before the verdict reached the broker: no body is buffered.
    const out = h.output();
    expect(out.subarray(0, CONNECT.length)).toEqual(CONNECT);
    expect(out.length).toBeLessThan(CONNECT.length + header.length);
  });

  it('refuses an oversized CONNECT too', () => {
    const h = harness();
    h.feed(Buffer.from([0x10, 0xff, 0xff, 0x7f]));
    expect(h.violations).toEqual(['packet_too_large']);
  });

  it('refuses a remaining length of five bytes as malformed_length', () => {
    const h = harness();
    h.feed(CONNECT);
    h.feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]));
    expect(h.violations).toEqual(['malformed_length']);
    expect(h.destroyed).toBe(true);
  });

  it.each([
    ['PUBLISH', PUBLISH],
    ['PINGREQ', PINGREQ],
    ['SUBSCRIBE', generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'seal/#', qos: 0 }] })],
  ])('refuses %s as the first packet', async (_name, packet) => {
    const h = harness();
    h.feed(Buffer.concat([packet, CONNECT]));
    expect(h.violations).toEqual(['first_packet_not_connect']);
    expect(h.output()).toEqual(Buffer.alloc(0));
  });

  it.each([
    [0x00, 'type 0'],
    [0xf0, 'type 15 (AUTH is MQTT 5 only)'],
  ])('refuses reserved packet %s', (byte) => {
    const h = harness();
    h.feed(CONNECT);
    h.feed(Buffer.from([byte, 0x00]));
    expect(h.violations).toEqual(['reserved_packet_type']);
  });

  it('refuses SUBSCRIBE with flags other than 0010', () => {
    const good = harness();
    good.feed(CONNECT);
    good.feed(
      generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'seal/s-001/config', qos: 1 }] }),
    );
    expect(good.violations).toEqual([]);
    const subscribe = generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] });
    for (const flags of [0x0, 0x1, 0x3, 0x8]) {
      const h = harness();
      h.feed(CONNECT);
      const bad = Buffer.from(subscribe);
      bad[0] = 0x80 | flags;
      h.feed(bad);
      expect(h.violations, `flags ${flags}`).toEqual(['reserved_flags']);
    }
  });

  it('refuses PUBLISH with QoS 3 and accepts QoS 0–2 with DUP and RETAIN', () => {
    for (const [byte, expected] of [
      [0x36, ['reserved_flags']],
      [0x3f, ['reserved_flags']],
      [0x30, []],
      [0x3b, []],
      [0x35, []],
    ] as const) {
      const h = harness();
      h.feed(CONNECT);
      h.feed(Buffer.from([byte, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01]));
      expect(h.violations, `0x${byte.toString(16)}`).toEqual(expected);
    }
  });

  it('ignores everything after a violation and reports it once', async () => {
    const h = harness();
    h.feed(CONNECT);
    h.feed(Buffer.from([0x00, 0x00]));
    h.feed(PUBLISH);
    h.feed(Buffer.from([0xf0, 0x00]));
    expect(h.violations).toEqual(['reserved_packet_type']);
    expect(h.output()).toEqual(CONNECT);
  });
});

// ---- properties ----

const topicArb = fc.stringMatching(/^[a-z0-9/_-]{1,40}$/);
const payloadArb = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));
const messageIdArb = fc.integer({ min: 1, max: 65535 });

const packetArb: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({
    cmd: fc.constant('publish' as const),
    topic: topicArb,
    payload: payloadArb,
    qos: fc.constant(0 as const),
    dup: fc.constant(false),
    retain: fc.boolean(),
  }),
  fc.record({
    cmd: fc.constant('publish' as const),
    topic: topicArb,
    payload: payloadArb,
    qos: fc.constantFrom(1 as const, 2 as const),
    messageId: messageIdArb,
    dup: fc.boolean(),
    retain: fc.boolean(),
  }),
  fc.record({
    cmd: fc.constant('subscribe' as const),
    messageId: messageIdArb,
    subscriptions: fc.array(
      fc.record({ topic: topicArb, qos: fc.constantFrom(0 as const, 1 as const, 2 as const) }),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  }),
  fc.record({
    cmd: fc.constant('unsubscribe' as const),
    messageId: messageIdArb,
    unsubscriptions: fc.array(topicArb, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    cmd: fc.constantFrom('puback' as const, 'pubrec' as const, 'pubrel' as const, 'pubcomp' as const),
    messageId: messageIdArb,
  }),
  fc.constant({ cmd: 'pingreq' as const }),
);

const chunkSizesArb = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 });

describe('PacketGuard: properties', () => {
  it('passes any sequence of well-formed packets under the size limit unchanged, however it is split', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(packetArb, { maxLength: 12 }), chunkSizesArb, async (packets, sizes) => {
        const limit = 1024;
        const bytes = packets.map((p) => generate(p)).filter((b) => b.length <= limit);
        const input = Buffer.concat([CONNECT, ...bytes, generate({ cmd: 'disconnect' })]);
        const h = harness(limit);
        feedInChunks(h, input, sizes);
        expect(h.violations).toEqual([]);
        expect(h.output()).toEqual(input);
      }),
      { numRuns: 200 },
    );
  });

  it('never emits more than it received: its output is always a prefix of its input', async () => {
    const rawChunk = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => Buffer.from(a));
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(
          fc.oneof(
            rawChunk,
            packetArb.map((p) => generate(p)),
          ),
          { maxLength: 10 },
        ),
        async (startWithConnect, chunks) => {
          const input = Buffer.concat(startWithConnect ? [CONNECT, ...chunks] : chunks);
          const h = harness(512);
          feedInChunks(h, input, [7, 1, 33, 2]);
          const out = h.output();
          expect(out.length).toBeLessThanOrEqual(input.length);
          expect(out).toEqual(input.subarray(0, out.length));
          expect(h.violations.length).toBeLessThanOrEqual(1);
          if (h.violations.length === 1) expect(h.destroyed).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
