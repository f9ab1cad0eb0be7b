/**
 * The bytes mqtt-packet's parser has read but not yet parsed (its `_list`), kept as the socket's
 * own read chunks and an offset into the first.
 *
 * The parser only appends chunks, reads integers at an offset, slices, decodes strings and consumes
 * what it parsed (parser.js: `append`, `readUInt8`, `readUInt16BE`, `readUInt32BE`, `slice`,
 * `toString`, `consume`, `length`). `bl`'s BufferList answers each read through `slice`: every
 * integer read made an offset pair and a Buffer view, and every `consume` a view of the rest of the
 * chunk: counted through parser.js, eight views per QoS 1 PUBLISH besides its payload's (V8's
 * sampling heap profile of the closed loop put 745 bytes a message, a tenth of all the service's
 * allocation, in `BufferList.copy`, issue 20.1). Here a read inside the first
 * chunk reads the chunk itself, a consume moves the offset, and a slice inside one chunk is one view
 * of it (as BufferList's is: a payload refers to its read chunk). Only what spans two chunks is copied.
 *
 * Out-of-range reads throw as BufferList's do: they read an empty or short slice.
 */
export class ParserBytes {
  /** Bytes not yet consumed. */
  length = 0;
  private readonly chunks: Buffer[] = [];
  /** How much of chunks[0] is already consumed. */
  private head = 0;

  append(chunk: Buffer): this {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
    return this;
  }

  consume(bytes: number): this {
    let left = Math.min(Math.trunc(bytes), this.length);
    if (!(left > 0)) return this;
    this.length -= left;
    while (left > 0) {
      const rest = (this.chunks[0] as Buffer).length - this.head;
      if (left < rest) {
        this.head += left;
        return this;
      }
      left -= rest;
      this.chunks.shift();
      this.head = 0;
    }
    return this;
  }

  readUInt8(offset: number): number {
    const at = this.inFirstChunk(offset, 1);
    return at < 0 ? this.slice(offset, offset + 1).readUInt8(0) : ((this.chunks[0] as Buffer)[at] as number);
  }

  readUInt16BE(offset: number): number {
    const at = this.inFirstChunk(offset, 2);
    return at < 0
      ? this.slice(offset, offset + 2).readUInt16BE(0)
      : (this.chunks[0] as Buffer).readUInt16BE(at);
  }

  readUInt32BE(offset: number): number {
    const at = this.inFirstChunk(offset, 4);
    return at < 0
      ? this.slice(offset, offset + 4).readUInt32BE(0)
      : (this.chunks[0] as Buffer).readUInt32BE(at);
  }

  toString(encoding: BufferEncoding = 'utf8', start = 0, end = this.length): string {
    const to = Math.min(end, this.length);
    const at = this.inFirstChunk(start, to - start);
    if (at >= 0) return (this.chunks[0] as Buffer).toString(encoding, at, at + to - start);
    return this.slice(start, end).toString(encoding);
  }

  /**
   * Where `size` bytes from `offset` begin in the first chunk, when they all lie in it; -1 when not
   * (or when the range is empty or starts before the unconsumed bytes): the caller takes a slice.
   */
  private inFirstChunk(offset: number, size: number): number {
    const first = this.chunks[0];
    const at = this.head + offset;
    return first !== undefined && offset >= 0 && size > 0 && at + size <= first.length ? at : -1;
  }

  /**
   * Bytes [start, end) of what is not yet consumed: a view when they lie in one chunk, else a copy.
   * A negative bound counts from the end, as in BufferList.
   */
  slice(start = 0, end = this.length): Buffer {
    const from = Math.max(start < 0 ? start + this.length : start, 0);
    const to = Math.min(end < 0 ? end + this.length : end, this.length);
    if (from >= to) return Buffer.alloc(0);
    // Offsets into the unconsumed bytes; `base` is where the chunk at hand starts among them.
    let base = -this.head;
    let i = 0;
    while (base + (this.chunks[i] as Buffer).length <= from) base += (this.chunks[i++] as Buffer).length;
    const at = this.chunks[i] as Buffer;
    if (to - base <= at.length) return at.subarray(from - base, to - base);
    const copy = Buffer.allocUnsafe(to - from);
    let written = 0;
    for (; written < copy.length; i++) {
      const chunk = this.chunks[i] as Buffer;
      written += chunk.copy(copy, written, Math.max(from - base, 0), Math.min(to - base, chunk.length));
      base += chunk.length;
    }
    return copy;
  }
}
