import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import fc from 'fast-check';
import { generate, type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { type GuardViolation, PacketGuard } from '../../../broker/packetGuard.ts';

/**
 * Test double for the TCP socket under the guard: it emits 'data' exactly
 * when the test says so and records what the guard does to it.
 */
class FakeSocket extends EventEmitter {
  destroyed = false;
  paused = false;
  readonly remoteAddress = '10.0.0.7';
  readonly written: Buffer[] = [];

  feed(bytes: Buffer): void {
    this.emit('data', bytes);
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close');
    }
    return this;
  }
  write(chunk: Buffer, callback?: () => void): boolean {
    this.written.push(chunk);
    callback?.();
    return true;
  }
  cork(): void {}
  uncork(): void {}
  end(callback?: () => void): this {
    callback?.();
    return this;
  }
}

interface Harness {
  socket: FakeSocket;
  guard: PacketGuard;
  violations: GuardViolation[];
  output: () => Promise<Buffer>;
}

function harness(maxPacketSize = 4096): Harness {
  const socket = new FakeSocket();
  const violations: GuardViolation[] = [];
  const guard = new PacketGuard(socket as unknown as Duplex, '10.0.0.7', maxPacketSize, (v) =>
    violations.push(v),
  );
  const chunks: Buffer[] = [];
  guard.on('data', (c: Buffer) => chunks.push(c));
  guard.on('error', () => undefined);
  const output = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return Buffer.concat(chunks);
  };
  return { socket, guard, violations, output };
}

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

function feedInChunks(socket: FakeSocket, bytes: Buffer, sizes: number[]): void {
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const size = Math.max(1, sizes[k++ % Math.max(1, sizes.length)] ?? 1);
    socket.feed(bytes.subarray(i, i + size));
    i += size;
  }
}

describe('PacketGuard: well-formed traffic', () => {
  it('passes CONNECT then PUBLISH through unchanged', async () => {
    const h = harness();
    const input = Buffer.concat([CONNECT, PUBLISH, PINGREQ]);
    h.socket.feed(input);
    expect(await h.output()).toEqual(input);
    expect(h.violations).toEqual([]);
    expect(h.socket.destroyed).toBe(false);
  });

  it('passes them through unchanged when they arrive one byte at a time', async () => {
    const h = harness();
    const input = Buffer.concat([CONNECT, PUBLISH, PINGREQ]);
    feedInChunks(h.socket, input, [1]);
    expect(await h.output()).toEqual(input);
    expect(h.violations).toEqual([]);
  });

  it('accepts a packet of exactly the maximum size and refuses one byte more', () => {
    const body = (n: number) => Buffer.concat([Buffer.from([0x30, n]), Buffer.alloc(n)]);
    const limit = 100; // one-byte remaining lengths, and CONNECT fits
    const ok = harness(limit);
    ok.socket.feed(CONNECT);
    ok.socket.feed(body(limit - 2));
    expect(ok.violations).toEqual([]);
    const big = harness(limit);
    big.socket.feed(CONNECT);
    big.socket.feed(body(limit - 1));
    expect(big.violations).toEqual(['packet_too_large']);
  });

  it('setMaxPacketSize raises the limit for later packets', () => {
    const h = harness(200);
    h.socket.feed(CONNECT);
    h.guard.setMaxPacketSize(100_000);
    h.socket.feed(
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

  it('pauses the socket while the broker is not reading, and resumes it when it reads again', async () => {
    const socket = new FakeSocket();
    const guard = new PacketGuard(socket as unknown as Duplex, '10.0.0.7', 1 << 20, () => undefined);
    const publish = generate({
      cmd: 'publish',
      topic: 't',
      payload: Buffer.alloc(4_000),
      qos: 0,
      dup: false,
      retain: false,
    });
    socket.feed(CONNECT);
    for (let i = 0; i < 20 && !socket.paused; i++) socket.feed(publish);
    expect(socket.paused).toBe(true);
    guard.on('data', () => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.paused).toBe(false);
  });

  it('writes from the broker go to the socket', async () => {
    const h = harness();
    const connack = generate({ cmd: 'connack', returnCode: 0, sessionPresent: false });
    await new Promise<void>((resolve, reject) =>
      h.guard.write(connack, (err) => (err ? reject(err) : resolve())),
    );
    expect(Buffer.concat(h.socket.written)).toEqual(connack);
    expect(h.guard.remoteAddress).toBe('10.0.0.7');
  });
});

describe('PacketGuard: violations', () => {
  it('refuses a remaining length of 256 MiB right after the header, before any body arrives', async () => {
    const h = harness();
    h.socket.feed(CONNECT);
    const header = [0x30, 0xff, 0xff, 0xff, 0x7f]; // PUBLISH, remaining length 268 435 455
    for (const [i, byte] of header.entries()) {
      h.socket.feed(Buffer.from([byte]));
      expect(h.violations).toEqual(i < header.length - 1 ? [] : ['packet_too_large']);
    }
    expect(h.socket.destroyed).toBe(true);
    // At most the header bytes that arrived before the verdict reached the broker: no body is buffered.
    const out = await h.output();
    expect(out.subarray(0, CONNECT.length)).toEqual(CONNECT);
    expect(out.length).toBeLessThan(CONNECT.length + header.length);
  });

  it('refuses an oversized CONNECT too', () => {
    const h = harness();
    h.socket.feed(Buffer.from([0x10, 0xff, 0xff, 0x7f]));
    expect(h.violations).toEqual(['packet_too_large']);
  });

  it('refuses a remaining length of five bytes as malformed_length', () => {
    const h = harness();
    h.socket.feed(CONNECT);
    h.socket.feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]));
    expect(h.violations).toEqual(['malformed_length']);
    expect(h.socket.destroyed).toBe(true);
  });

  it.each([
    ['PUBLISH', PUBLISH],
    ['PINGREQ', PINGREQ],
    ['SUBSCRIBE', generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'seal/#', qos: 0 }] })],
  ])('refuses %s as the first packet', async (_name, packet) => {
    const h = harness();
    h.socket.feed(Buffer.concat([packet, CONNECT]));
    expect(h.violations).toEqual(['first_packet_not_connect']);
    expect(await h.output()).toEqual(Buffer.alloc(0));
  });

  it.each([
    [0x00, 'type 0'],
    [0xf0, 'type 15 (AUTH is MQTT 5 only)'],
  ])('refuses reserved packet %s', (byte) => {
    const h = harness();
    h.socket.feed(CONNECT);
    h.socket.feed(Buffer.from([byte, 0x00]));
    expect(h.violations).toEqual(['reserved_packet_type']);
  });

  it('refuses SUBSCRIBE with flags other than 0010', () => {
    const good = harness();
    good.socket.feed(CONNECT);
    good.socket.feed(
      generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'seal/s-001/config', qos: 1 }] }),
    );
    expect(good.violations).toEqual([]);
    const subscribe = generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] });
    for (const flags of [0x0, 0x1, 0x3, 0x8]) {
      const h = harness();
      h.socket.feed(CONNECT);
      const bad = Buffer.from(subscribe);
      bad[0] = 0x80 | flags;
      h.socket.feed(bad);
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
      h.socket.feed(CONNECT);
      h.socket.feed(Buffer.from([byte, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01]));
      expect(h.violations, `0x${byte.toString(16)}`).toEqual(expected);
    }
  });

  it('ignores everything after a violation and reports it once', async () => {
    const h = harness();
    h.socket.feed(CONNECT);
    h.socket.feed(Buffer.from([0x00, 0x00]));
    h.socket.feed(PUBLISH);
    h.socket.feed(Buffer.from([0xf0, 0x00]));
    expect(h.violations).toEqual(['reserved_packet_type']);
    expect(await h.output()).toEqual(CONNECT);
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
        feedInChunks(h.socket, input, sizes);
        expect(h.violations).toEqual([]);
        expect(await h.output()).toEqual(input);
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
          feedInChunks(h.socket, input, [7, 1, 33, 2]);
          const out = await h.output();
          expect(out.length).toBeLessThanOrEqual(input.length);
          expect(out).toEqual(input.subarray(0, out.length));
          expect(h.violations.length).toBeLessThanOrEqual(1);
          if (h.violations.length === 1) expect(h.socket.destroyed).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
