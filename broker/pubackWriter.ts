import type { Writable } from 'node:stream';
import { aedesMqttPacket } from './aedesInternals.ts';

/**
 * A QoS 1 PUBACK written as one 4-byte buffer (issue 20.1).
 *
 * Aedes writes every packet with mqtt-packet's `writeToStream` (aedes lib/write.js, which reads it
 * off the module at each call). For a PUBACK that function corks the socket and schedules its
 * uncork with `process.nextTick`, then makes three `write` calls (fixed header, remaining length,
 * packet identifier): in the closed-loop ingest profile, 6.4 % of the service's CPU, 3.9 % in
 * `nextTick` alone, for a packet that is always the same four bytes but two.
 *
 * Here a PUBACK of MQTT 3.1 or 3.1.1 (the only ones Aedes speaks; MQTT 3.1.1 §3.4: 0x40, remaining
 * length 2, the packet identifier, most significant byte first,
 * http://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718043) is one
 * `write` of one buffer, and the socket is corked only if it is not corked already: the uncork
 * scheduled by the first packet of this tick sends every packet written to that socket in the same
 * tick in one `writev`, as before, with one `nextTick` per socket and tick instead of one per
 * packet. Like mqtt-packet's PUBACK writer it answers true whatever the socket's buffer holds
 * (writeToStream.js `confirmation`), so Aedes goes on exactly as before. Every other packet, a
 * PUBACK with MQTT 5 options (mqtt.js, also in this process, calls the same function) and a
 * malformed one go to mqtt-packet's own writer unchanged.
 *
 * test/integration/broker/pubackWriter.test.ts compares the bytes with mqtt-packet's for every
 * packet identifier and checks the batching and the answer.
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
  bytes[0] = 0x40;
  bytes[1] = 0x02;
  bytes[2] = messageId >> 8;
  bytes[3] = messageId & 0xff;
  return bytes;
}

/** `original` with the PUBACK path described above in front of it. */
export function pubackWriterOver(original: WriteToStream): WriteToStream {
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
    )
      return original(packet, stream, opts);
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
