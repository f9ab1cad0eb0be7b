import type { Readable } from 'node:stream';

export type GuardViolation =
  | 'packet_too_large'
  | 'malformed_length'
  | 'first_packet_not_connect'
  | 'reserved_packet_type'
  | 'reserved_flags';

/** Flags MQTT 3.1.1 fixes for each control packet type (MQTT-2.2.2-1); PUBLISH (3) has its own. */
const REQUIRED_FLAGS: Record<number, number> = {
  1: 0,
  2: 0,
  4: 0,
  5: 0,
  6: 2,
  7: 0,
  8: 2,
  9: 0,
  10: 2,
  11: 0,
  12: 0,
  13: 0,
  14: 0,
};

const HEADER = 0;
const LENGTH = 1;
const BODY = 2;

/**
 * Reads only MQTT fixed headers of what a connection sends, in the very chunks the broker reads.
 * mqtt-packet buffers a whole packet before parsing it, so a client that announces a remaining
 * length of 256 MiB makes the broker hold 256 MiB; the guard closes such a connection as soon as
 * the header is read. It also refuses reserved packet types and flags, and anything before
 * CONNECT.
 *
 * It is not a stream of its own (a Duplex in front of each socket cost about 1.1 KB per
 * connection, issue 20): `guardConnections` replaces the connection's `read` with one that passes
 * each chunk through `inspect` before handing it to Aedes, which reads with `conn.read(null)` on
 * 'readable' (lib/client.js). Writes go straight to the socket. Per connection it is this object:
 * a few numbers.
 */
export class PacketGuard {
  private state = HEADER;
  private lengthValue = 0;
  private lengthMultiplier = 1;
  private lengthBytes = 0;
  private bodyLeft = 0;
  private packets = 0;
  /** Set at the first violation; the connection is closed and nothing more is handed on. */
  violated = false;
  /**
   * Whatever reads this connection (the Aedes client, set by hooks/accept.ts), so that listeners
   * shared by all connections find it from the stream.
   */
  reader: unknown = null;

  constructor(
    /** Where the connection comes from (the TCP peer; for WebSocket the HTTP request's peer). */
    readonly remoteAddress: string | undefined,
    private maxPacketSize: number,
    /** The stream's own `read`, which the guarded one calls. */
    readonly readChunk: Readable['read'],
  ) {}

  /** Raised after CONNECT for clients that legitimately send more (service clients). */
  setMaxPacketSize(bytes: number): void {
    this.maxPacketSize = bytes;
  }

  /** Follows the packet boundaries through `chunk`; the first violation in it, or null. */
  inspect(chunk: Buffer): GuardViolation | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === BODY) {
        const take = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= take;
        i += take;
        if (this.bodyLeft === 0) this.state = HEADER;
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === HEADER) {
        const type = byte >> 4;
        const flags = byte & 0x0f;
        if (this.packets === 0 && type !== 1) return 'first_packet_not_connect';
        if (type === 0 || type === 15) return 'reserved_packet_type';
        if (type === 3 ? (flags & 0x06) === 0x06 : REQUIRED_FLAGS[type] !== flags) return 'reserved_flags';
        this.packets++;
        this.state = LENGTH;
        this.lengthValue = 0;
        this.lengthMultiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      // Remaining length: up to four 7-bit groups (MQTT 2.2.3).
      this.lengthValue += (byte & 0x7f) * this.lengthMultiplier;
      this.lengthMultiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return 'malformed_length';
        continue;
      }
      if (this.lengthValue + 1 + this.lengthBytes > this.maxPacketSize) return 'packet_too_large';
      this.bodyLeft = this.lengthValue;
      this.state = this.bodyLeft === 0 ? HEADER : BODY;
    }
    return null;
  }
}

const GUARD = Symbol('packetGuard');

/** A connection stream with its guard attached (`guardConnections`). */
type GuardedStream = Readable & { [GUARD]?: PacketGuard };

/** Called once per connection, at its first violation, before the connection is destroyed. */
export type ViolationHandler = (guard: PacketGuard, violation: GuardViolation) => void;

/**
 * Returns the function that puts a guard on a new connection. The guarded `read` and the
 * violation handler are shared by all connections; each connection adds a `PacketGuard` and two
 * properties on its stream.
 */
export function guardConnections(
  onViolation: ViolationHandler,
): (stream: Readable, address: string | undefined, maxPacketSize: number) => PacketGuard {
  function guardedRead(this: GuardedStream, size?: number): Buffer | null {
    const guard = this[GUARD] as PacketGuard;
    const chunk = guard.readChunk.call(this, size) as Buffer | null;
    if (chunk === null || guard.violated) return null;
    const violation = guard.inspect(chunk);
    if (violation === null) return chunk;
    // The chunk that holds the violation never reaches the parser: at most the header bytes that
    // arrived in earlier chunks do, so no announced body is ever buffered.
    guard.violated = true;
    onViolation(guard, violation);
    this.destroy();
    return null;
  }
  return (stream, address, maxPacketSize) => {
    const guard = new PacketGuard(address, maxPacketSize, stream.read);
    const guarded = stream as GuardedStream;
    guarded[GUARD] = guard;
    guarded.read = guardedRead;
    return guard;
  };
}

/** The guard on a connection stream (Aedes' `client.conn`), if `guardConnections` put one there. */
export function packetGuardOf(stream: object): PacketGuard | undefined {
  return (stream as GuardedStream)[GUARD];
}
