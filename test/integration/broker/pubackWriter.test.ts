import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pubackBytes, pubackWriterOver, type WriteToStream } from '../../../broker/pubackWriter.ts';

/**
 * broker/pubackWriter.ts writes a PUBACK as one buffer. The bytes are checked against mqtt-packet's
 * own generator (the reference Aedes uses) and against MQTT 3.1.1 §3.4.1–3.4.2
 * (http://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718043): fixed header
 * 0x40, remaining length 2, the packet identifier in two bytes, most significant first.
 */

const root = join(import.meta.dirname, '../../..');
const mqttPacket = createRequire(import.meta.url)('mqtt-packet') as {
  generate(packet: object, opts?: object): Buffer;
};
/** mqtt-packet's own writer, whatever another test in this process may have installed. */
const original = (() => {
  const loaded = createRequire(import.meta.url)('mqtt-packet') as {
    writeToStream: WriteToStream & Record<symbol, WriteToStream | undefined>;
  };
  return loaded.writeToStream[Symbol.for('sealwatch.pubackWriter.original')] ?? loaded.writeToStream;
})();
const fast = pubackWriterOver(original);

/** A writable that records each write and writev it is handed, in order. */
function recorder(highWaterMark = 16 * 1024) {
  const calls: Array<{ kind: 'write' | 'writev'; chunks: Buffer[] }> = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      calls.push({ kind: 'write', chunks: [chunk] });
      cb();
    },
    writev(chunks, cb) {
      calls.push({ kind: 'writev', chunks: chunks.map((c) => c.chunk as Buffer) });
      cb();
    },
  });
  const bytes = () => Buffer.concat(calls.flatMap((c) => c.chunks));
  return { stream, calls, bytes };
}

/** Counts the stream's `write` calls (what a destroyed stream drops unseen), calling `after` after each. */
function countWrites(stream: Writable, after: (n: number) => void = () => undefined): () => number {
  let n = 0;
  const write = stream.write.bind(stream);
  stream.write = ((chunk: Buffer) => {
    const ok = write(chunk);
    after(++n);
    return ok;
  }) as typeof stream.write;
  return () => n;
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('a PUBACK written in one buffer', () => {
  it('has the bytes of MQTT 3.1.1 §3.4 and of mqtt-packet, for every packet identifier', () => {
    expect([...pubackBytes(0x1234)]).toEqual([0x40, 0x02, 0x12, 0x34]);
    for (let id = 0; id <= 0xffff; id++) {
      const reference = mqttPacket.generate({ cmd: 'puback', messageId: id });
      if (!pubackBytes(id).equals(reference)) throw new Error(`PUBACK ${id} differs from mqtt-packet's`);
    }
  });

  it("Aedes' PUBACKs (no options) to a stream in one tick go out together as one buffer", async () => {
    const ours = recorder();
    for (const id of [1, 2, 3]) fast({ cmd: 'puback', messageId: id }, ours.stream);
    expect(ours.calls).toEqual([]); // kept until the tick ends
    await nextTick();
    expect(ours.calls.map((c) => [c.kind, c.chunks.length])).toEqual([['write', 1]]);

    const theirs = recorder();
    for (const id of [1, 2, 3]) original({ cmd: 'puback', messageId: id }, theirs.stream);
    await nextTick();
    // mqtt-packet writes three pieces per PUBACK; the bytes on the wire are the same.
    expect(theirs.calls.map((c) => [c.kind, c.chunks.length])).toEqual([['writev', 9]]);
    expect(ours.bytes().equals(theirs.bytes())).toBe(true);
  });

  it('keeps each stream its own PUBACKs, in order, and a PUBACK kept while writing goes in a write of its own', async () => {
    const a = recorder();
    const b = recorder();
    fast({ cmd: 'puback', messageId: 1 }, a.stream);
    fast({ cmd: 'puback', messageId: 2 }, b.stream);
    fast({ cmd: 'puback', messageId: 3 }, a.stream);
    await nextTick();
    expect([...a.bytes()]).toEqual([0x40, 2, 0, 1, 0x40, 2, 0, 3]);
    expect([...b.bytes()]).toEqual([0x40, 2, 0, 2]);
    // A write that leads to another PUBACK (as a drain handler could): it is not lost among the
    // PUBACKs being written, it goes in a write of its own at the same end of the tick.
    const c = recorder();
    countWrites(c.stream, (n) => {
      if (n === 1) fast({ cmd: 'puback', messageId: 5 }, c.stream);
    });
    fast({ cmd: 'puback', messageId: 4 }, c.stream);
    await nextTick();
    expect(c.calls.map((call) => [...(call.chunks[0] as Buffer)])).toEqual([
      [0x40, 2, 0, 4],
      [0x40, 2, 0, 5],
    ]);
  });

  it('another packet to the same stream sends the kept PUBACKs first: the wire keeps the order of the writes', async () => {
    const ours = recorder();
    const theirs = recorder();
    const publish = { cmd: 'publish', topic: 'seal/s-1/config', payload: Buffer.from('{}'), qos: 0 };
    for (const [writer, { stream }] of [
      [fast, ours],
      [original, theirs],
    ] as const) {
      writer({ cmd: 'puback', messageId: 7 }, stream);
      writer(publish, stream);
      writer({ cmd: 'puback', messageId: 8 }, stream);
    }
    await nextTick();
    expect(ours.bytes().equals(theirs.bytes())).toBe(true);
    expect([...ours.bytes().subarray(0, 4)]).toEqual([0x40, 2, 0, 7]);
  });

  it('a stream destroyed before the tick ends gets nothing, and no error', async () => {
    const { stream, calls } = recorder();
    const errors: Error[] = [];
    stream.on('error', (err) => errors.push(err));
    // A destroyed Writable records nothing and emits no error whatever it is handed: count the
    // writes themselves.
    const writes = countWrites(stream);
    fast({ cmd: 'puback', messageId: 1 }, stream);
    stream.destroy();
    await nextTick();
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes()).toBe(0);
    expect(calls).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a write that throws costs the PUBACKs of that tick after it, not every PUBACK after that', async () => {
    const writer = pubackWriterOver(original);
    const a = recorder();
    const b = recorder();
    a.stream.write = () => {
      throw new Error('socket broke');
    };
    writer({ cmd: 'puback', messageId: 1 }, a.stream);
    writer({ cmd: 'puback', messageId: 2 }, b.stream);
    // The end of the tick is a function of the tick queue: its throw is an uncaught exception there.
    const thrown = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    await expect(thrown).resolves.toMatchObject({ message: 'socket broke' });
    expect(b.calls).toEqual([]);
    writer({ cmd: 'puback', messageId: 3 }, b.stream);
    await nextTick();
    expect([...b.bytes()]).toEqual([0x40, 2, 0, 3]);
  });

  it("mqtt.js's PUBACKs (with options) are written at once, corked until the tick ends, as before", async () => {
    const ours = recorder();
    for (const id of [1, 2, 3]) fast({ cmd: 'puback', messageId: id }, ours.stream, { protocolVersion: 4 });
    expect(ours.stream.writableLength).toBe(12);
    await nextTick();
    expect(ours.calls.map((c) => [c.kind, c.chunks.length])).toEqual([['writev', 3]]);
  });

  it('answers as mqtt-packet does when the socket buffer is full: true, so Aedes goes on as before', async () => {
    const answers = (writer: WriteToStream) => {
      const { stream, bytes } = recorder(8);
      const answered = [1, 2, 3].map((id) => writer({ cmd: 'puback', messageId: id }, stream));
      return { answered, bytes };
    };
    const [ours, theirs] = [answers(fast), answers(original)];
    expect(ours.answered).toEqual([true, true, true]);
    expect(ours.answered).toEqual(theirs.answered);
    await nextTick();
    expect(ours.bytes().length).toBe(12);
    expect(ours.bytes().equals(theirs.bytes())).toBe(true);
  });

  it('leaves every other packet, an MQTT 5 PUBACK and a malformed one to mqtt-packet', async () => {
    const cases: Array<[object, { protocolVersion: number } | undefined]> = [
      [{ cmd: 'puback', messageId: 9, reasonCode: 16 }, { protocolVersion: 5 }],
      [{ cmd: 'pubrec', messageId: 9 }, undefined],
      [
        { cmd: 'publish', topic: 'seal/s-1/event', payload: Buffer.from('{}'), qos: 1, messageId: 9 },
        undefined,
      ],
      [{ cmd: 'pingresp' }, undefined],
    ];
    for (const [packet, opts] of cases) {
      const ours = recorder();
      const theirs = recorder();
      expect(fast(packet, ours.stream, opts)).toBe(original(packet, theirs.stream, opts));
      await nextTick();
      expect(ours.bytes().equals(theirs.bytes())).toBe(true);
      expect(ours.bytes().length).toBeGreaterThan(0);
    }
    // No packet identifier: mqtt-packet destroys the stream with its own error.
    const malformed = recorder();
    const failed = new Promise<Error>((resolve) => malformed.stream.on('error', resolve));
    expect(fast({ cmd: 'puback' }, malformed.stream)).toBe(false);
    expect((await failed).message).toBe('Invalid messageId');
  });

  it('is what Aedes writes with once installed, and a QoS 1 PUBLISH gets its PUBACK through it', async () => {
    // A fresh process: installing replaces the writer on the mqtt-packet module Aedes imports.
    const child = `
      const { writePubacksInOneBuffer } = await import(${JSON.stringify(join(root, 'broker/pubackWriter.ts'))});
      const mqttPacket = (await import('mqtt-packet')).default;
      const before = mqttPacket.writeToStream;
      writePubacksInOneBuffer();
      writePubacksInOneBuffer(); // idempotent: one wrapper, over the original
      const installed = mqttPacket.writeToStream;
      const wrapsOriginal = installed[Symbol.for('sealwatch.pubackWriter.original')] === before;
      let pubacks = 0;
      mqttPacket.writeToStream = (packet, stream, opts) => {
        if (packet.cmd === 'puback') pubacks++;
        return installed(packet, stream, opts);
      };
      const { Aedes } = await import('aedes');
      const net = await import('node:net');
      const mqtt = (await import('mqtt')).default;
      const broker = await Aedes.createBroker();
      const server = net.createServer(broker.handle);
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const client = await mqtt.connectAsync('mqtt://127.0.0.1:' + server.address().port, { reconnectPeriod: 0 });
      const acked = await client.publishAsync('t/1', 'x', { qos: 1 });
      await client.endAsync();
      await new Promise((r) => server.close(r));
      await new Promise((r) => broker.close(r));
      console.log(JSON.stringify({ replaced: installed !== before, wrapsOriginal, pubacks, ackedId: acked?.messageId }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', child],
      { cwd: root, timeout: 30_000 },
    );
    const report = JSON.parse(stdout.trim()) as Record<string, unknown>;
    expect(report).toMatchObject({ replaced: true, wrapsOriginal: true });
    expect(report.pubacks).toBeGreaterThanOrEqual(1); // the broker's PUBACK went through the installed writer
    expect(typeof report.ackedId).toBe('number');
  });
});
