import { Duplex } from 'node:stream';

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

/**
 * Sits between the TCP socket and Aedes and reads only MQTT fixed headers.
 * mqtt-packet buffers a whole packet before parsing it, so a client that
 * announces a remaining length of 256 MiB makes the broker hold 256 MiB; this
 * guard closes such a connection as soon as the header is read. It also
 * refuses reserved packet types and flags, and anything before CONNECT.
 */
export class PacketGuard extends Duplex {
  private state: 'header' | 'length' | 'body' = 'header';
  private lengthValue = 0;
  private lengthMultiplier = 1;
  private lengthBytes = 0;
  private bodyLeft = 0;
  private packets = 0;
  private violated = false;
  private corked = false;

  constructor(
    /** A TCP or TLS socket, or a WebSocket stream. */
    private readonly socket: Duplex,
    private readonly address: string | undefined,
    private maxPacketSize: number,
    private readonly onViolation: (violation: GuardViolation) => void,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** Raised after CONNECT for clients that legitimately send more (service clients). */
  setMaxPacketSize(bytes: number): void {
    this.maxPacketSize = bytes;
  }

  get remoteAddress(): string | undefined {
    return this.address;
  }

  override _read(): void {
    this.socket.resume();
  }

  /**
   * Writes go straight to the socket; the callback waits only when the
   * socket's buffer is full. Waiting for every write to be flushed would
   * send one PUBACK per event-loop turn.
   */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) {
      callback(new Error('socket closed'));
      return;
    }
    this.corkUntilTickEnds();
    if (this.socket.write(chunk)) callback();
    else this.socket.once('drain', () => callback());
  }

  /**
   * Packets written in one tick leave in one system call: a group commit acknowledges a device's
   * retained `online` and its first heartbeat together, and on loopback each write also pays the
   * receiver's side of TCP.
   */
  private corkUntilTickEnds(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (this.socket.destroyed) {
      callback(new Error('socket closed'));
      return;
    }
    this.socket.cork();
    let flowing = true;
    for (const { chunk } of chunks) flowing = this.socket.write(chunk);
    this.socket.uncork();
    if (flowing) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }

  private onData(chunk: Buffer): void {
    if (this.violated) return;
    const problem = this.inspect(chunk);
    if (problem) {
      this.violated = true;
      this.onViolation(problem);
      this.socket.destroy();
      this.destroy();
      return;
    }
    if (!this.push(chunk)) this.socket.pause();
  }

  private inspect(chunk: Buffer): GuardViolation | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const take = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= take;
        i += take;
        if (this.bodyLeft === 0) this.state = 'header';
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === 'header') {
        const type = byte >> 4;
        const flags = byte & 0x0f;
        if (this.packets === 0 && type !== 1) return 'first_packet_not_connect';
        if (type === 0 || type === 15) return 'reserved_packet_type';
        if (type === 3 ? (flags & 0x06) === 0x06 : REQUIRED_FLAGS[type] !== flags) return 'reserved_flags';
        this.packets++;
        this.state = 'length';
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
      this.state = this.bodyLeft === 0 ? 'header' : 'body';
    }
    return null;
  }
}
