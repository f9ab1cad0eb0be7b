import type { Writable } from 'node:stream';
import { aedesMqttPacket } from './aedesInternals.ts';

/**
 * QoS 1 PUBACKs written as few buffers as possible (issue 20.1).
 *
 * Aedes writes every packet with mqtt-packet's `writeToStream` (aedes lib/write.js, which reads it
 * off the module at each call). For a PUBACK that function corks the socket and schedules its
 * uncork with `process.nextTick`, then makes three `write` calls (fixed header, remaining length,
 * packet identifier): in the closed-loop ingest profile, 6.4 % of the service's CPU, 3.9 % in
 * `nextTick` alone, for a packet that is always the same four bytes but two.
 *
 * A PUBACK of MQTT 3.1 or 3.1.1 (the only ones Aedes speaks; MQTT 3.1.1 §3.4: 0x40, remaining
 * length 2, the packet identifier, most significant byte first,
 * http://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718043) is therefore
 * made here:
 *
 * - Aedes' own (it passes no options): its packet identifier is kept, and when the tick ends every
 *   PUBACK kept for a stream goes out as one buffer in one `write`, with one `nextTick` for all
 *   streams. A commit group ends all of its messages in one tick, so a connection with 16 messages
 *   in flight gets its few PUBACKs in one buffer, not one buffer, one `write` and one buffered
 *   request each (`writev` and `writeBuffer` together took 1.16 µs a message of the 11.8 the
 *   service was busy for in the fifteenth round's profile; 1.07 after this). Another
 *   packet written to that stream in the same tick first sends the PUBACKs kept for it, so the
 *   order on the wire stays the order of the writes. A stream destroyed before the tick ends gets
 *   nothing, as a corked one would not (Aedes only ever destroys a connection, never ends it).
 * - Anyone else's (mqtt.js in this process passes its options): one buffer, written at once, the
 *   socket corked until the tick ends unless it is already, as before.
 *
 * Like mqtt-packet's PUBACK writer it answers true whatever the socket's buffer holds
 * (writeToStream.js `confirmation`), so Aedes goes on exactly as before. Every other packet, a
 * PUBACK with MQTT 5 options and a malformed one go to mqtt-packet's own writer unchanged.
 *
 * test/integration/broker/pubackWriter.test.ts compares the bytes with mqtt-packet's for every
 * packet identifier and checks the batching, the order and the answer.
 */

export type WriteToStream = (
  packet: unknown,
  stream: Writable,
  opts?: { protocolVersion?: number },
) => boolean;

interface MqttPacketModule {
  writeToStream: WriteToStream & { [ORIGINAL]?: WriteToStream };
}

const ORIGINAL = Symbol.for('sealwatch.pubackWriter.original');

const uncork = (stream: Writable): void => stream.uncork();

/** The four bytes of a PUBACK for MQTT 3.1 / 3.1.1. */
export function pubackBytes(messageId: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  putPuback(bytes, 0, messageId);
  return bytes;
}

function putPuback(bytes: Buffer, at: number, messageId: number): void {
  bytes[at] = 0x40;
  bytes[at + 1] = 0x02;
  bytes[at + 2] = messageId >> 8;
  bytes[at + 3] = messageId & 0xff;
}

/** A stream with, under a writer's own symbol, the identifiers of the PUBACKs it keeps for it. */
type KeepingStream = Writable & Record<symbol, number[] | undefined>;

/** `original` with the PUBACK path described above in front of it. */
export function pubackWriterOver(original: WriteToStream): WriteToStream {
  // Where a stream's kept PUBACK identifiers wait for the end of the tick: a symbol of this writer's,
  // so that two writers (tests make several) never share a stream's slot.
  const KEPT = Symbol('sealwatch.pubackWriter.kept');
  // The streams with PUBACKs kept this tick (the first `count`), each stream's identifiers on the
  // stream itself. Neither is given up when a tick ends: a Map whose entries were set and deleted at
  // every tick made V8 replace its hash table over and over, and the long-lived Map kept each new
  // table alive through the young generation's collections, to be copied into the old one: about
  // 120 B a message at a steady 5,000 msg/s, a tenth of all that was promoted (V8's sampling heap
  // profile, what minor collections freed left out). A growing old generation is what brings the
  // mark-compact pauses of a long run.
  const streams: Array<KeepingStream | undefined> = [];
  let count = 0;

  const writeKept = (stream: KeepingStream): void => {
    const ids = stream[KEPT];
    if (ids === undefined) return;
    // Gone before the write: a PUBACK kept while writing is kept anew, for a write of its own.
    stream[KEPT] = undefined;
    if (stream.destroyed || !stream.writable) return;
    const bytes = Buffer.allocUnsafe(4 * ids.length);
    for (let i = 0; i < ids.length; i++) putPuback(bytes, 4 * i, ids[i] as number);
    stream.write(bytes);
  };
  const endOfTick = (): void => {
    try {
      // `count` grows when a write here keeps another PUBACK: the loop reaches that one too.
      for (let i = 0; i < count; i++) writeKept(streams[i] as KeepingStream);
    } finally {
      // Should a write throw, the streams after it lose their PUBACKs (their senders resend) rather
      // than leave this writer waiting for an end of tick that was never scheduled.
      for (let i = 0; i < count; i++) {
        const stream = streams[i] as KeepingStream;
        stream[KEPT] = undefined;
        streams[i] = undefined;
      }
      count = 0;
    }
  };

  const write: WriteToStream = (packet, stream, opts) => {
    const p = packet as { cmd?: unknown; messageId?: unknown };
    const id = p.messageId;
    if (
      p.cmd !== 'puback' ||
      (opts?.protocolVersion !== undefined && opts.protocolVersion !== 3 && opts.protocolVersion !== 4) ||
      typeof id !== 'number' ||
      !Number.isInteger(id) ||
      id < 0 ||
      id > 0xffff
    ) {
      writeKept(stream as KeepingStream);
      return original(packet, stream, opts);
    }
    if (opts === undefined) {
      const keeping = stream as KeepingStream;
      const ids = keeping[KEPT];
      if (ids !== undefined) ids.push(id);
      else {
        if (count === 0) process.nextTick(endOfTick);
        keeping[KEPT] = [id];
        streams[count++] = keeping;
      }
      return true;
    }
    if (typeof stream.cork === 'function' && !stream.writableCorked) {
      stream.cork();
      process.nextTick(uncork, stream);
    }
    stream.write(pubackBytes(id));
    return true;
  };
  return write;
}

/** Installs the PUBACK writer on the mqtt-packet that Aedes uses. Idempotent. */
export function writePubacksInOneBuffer(): void {
  const mqttPacket = aedesMqttPacket() as MqttPacketModule;
  if (mqttPacket.writeToStream[ORIGINAL] !== undefined) return;
  const original = mqttPacket.writeToStream;
  const replaced = pubackWriterOver(original) as MqttPacketModule['writeToStream'];
  replaced[ORIGINAL] = original;
  mqttPacket.writeToStream = replaced;
}
