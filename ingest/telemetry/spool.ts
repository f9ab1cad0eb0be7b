import fs from 'node:fs';
import path from 'node:path';
import type pino from 'pino';

/**
 * Over 400 lines on purpose: the segment files, the cursor and the recovery after a crash share one
 * invariant (nothing accepted is lost, nothing is sent twice past the cursor), kept readable in one place.
 *
 * The telemetry spool: append-only segment files of line protocol plus a
 * persisted read cursor. Every accepted line is written to the OS before
 * `append` returns, so it survives `kill -9` (no fsync: a process crash does
 * not lose the page cache). The sender reads from a bounded memory copy of the
 * tail while it keeps up, and from the files after a restart or a backlog.
 *
 * One reader only, one batch in flight: `readBatch` does not move the cursor,
 * `commit` does, after the server accepted the batch, and writes it to disk at
 * most once a second. A crash re-sends what was sent since the cursor was last
 * written: the same lines with the same timestamps, which InfluxDB (and
 * VictoriaMetrics with de-duplication) store as the same points.
 */

export interface SpoolPosition {
  segment: number;
  offset: number;
}

export interface SpoolBatch {
  /** The batch's lines, each ended by a newline, as UTF-8: what the sender writes. */
  body: Buffer;
  /** How many lines `body` holds. */
  count: number;
  /** Position right after the batch's last line. */
  end: SpoolPosition;
  /** Lines of the batch per segment, for the per-segment accounting. */
  linesPerSegment: Map<number, number>;
  fromMemory: boolean;
  memoryEpoch: number;
}

/**
 * The first whole lines of `data` (each ended by a newline), at most `lines` of them: how many, and the
 * offset right after the last. Where a batch or a chunk is cut: a newline byte is never part of a
 * multi-byte UTF-8 character, so a cut there never splits one.
 */
export function leadingLines(data: Buffer, lines: number): { count: number; end: number } {
  let count = 0;
  let end = 0;
  while (count < lines) {
    const newline = data.indexOf(NEWLINE, end);
    if (newline === -1) break;
    end = newline + 1;
    count++;
  }
  return { count, end };
}

/**
 * One `append` in the memory tail: its lines as the bytes written to the segment. The tail keeps what
 * was written, not each line: one buffer per commit group instead of a string and two numbers per
 * line, and a batch is those buffers joined (issue 20.1; the per-line form was 0.5 µs per message).
 *
 * Bytes, not a string: the tail holds a group's lines for up to a second, until the sender's next
 * batch, long enough for V8 to move a string into its old generation (148 bytes a message at 5,000
 * msg/s), and a batch's joined string of up to a megabyte was allocated there directly (141 bytes a
 * message); a Buffer's bytes are outside V8's heap, only its small handle is in it (issue 20.1,
 * eighteenth round).
 */
interface MemoryChunk {
  data: Buffer;
  lines: number;
  segment: number;
  /** Offset in the segment right after this chunk. */
  end: number;
}

export interface SpoolOptions {
  dir: string;
  /** Total size of segment files past which the oldest segment is dropped. */
  maxBytes: number;
  /** A segment is closed and a new one started once it would grow past this. */
  segmentBytes: number;
  /** Lines kept in memory for the sender; past it the sender reads the files. */
  memoryMaxLines: number;
  logger: pino.Logger;
}

interface SegmentInfo {
  bytes: number;
  lines: number;
  /** Lines of this segment already accepted by the server. */
  sentLines: number;
}

const SEGMENT_PATTERN = /^segment-(\d{12})\.lp$/;
const CURSOR_FILE = 'cursor.json';
const READ_CHUNK_BYTES = 1 << 20;
/**
 * While batches go out back to back, the cursor is written at most this often. Each write is a file
 * write and a rename (0.8 ms of the event loop on this VM's disk, 14 times a second at 70,000 points
 * a second: 1 % of ingest's profile, issue 20.1). A crash then re-sends at most this much that the
 * server already took: the same points, which land on themselves (see the class comment).
 */
const CURSOR_SAVE_INTERVAL_MS = 1000;
const NEWLINE = 0x0a;

export function segmentFileName(id: number): string {
  return `segment-${String(id).padStart(12, '0')}.lp`;
}

function comparePositions(a: SpoolPosition, b: SpoolPosition): number {
  return a.segment !== b.segment ? a.segment - b.segment : a.offset - b.offset;
}

export class Spool {
  private readonly segments = new Map<number, SegmentInfo>();
  private cursor: SpoolPosition;
  private writeSegment: number;
  private writeFd: number;
  private totalBytes = 0;
  private pending = 0;
  private dropped = 0;

  // The memory tail: valid while it holds every line from `memoryFrom` to the head.
  private memoryValid = false;
  private memoryEpoch = 0;
  private memoryFrom: SpoolPosition = { segment: 0, offset: 0 };
  private memChunks: MemoryChunk[] = [];
  /** The first chunk not yet sent, and the lines from it on. */
  private memHead = 0;
  private memLines = 0;

  private cursorSavedAt = Number.NEGATIVE_INFINITY;
  private cursorSaveTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly options: SpoolOptions,
    state: { cursor: SpoolPosition; writeSegment: number },
  ) {
    this.cursor = state.cursor;
    this.writeSegment = state.writeSegment;
    this.writeFd = fs.openSync(this.segmentPath(this.writeSegment), 'a');
  }

  /** Opens (or creates) the spool synchronously: appends may follow at once. */
  static open(options: SpoolOptions): Spool {
    fs.mkdirSync(options.dir, { recursive: true });
    const ids = fs
      .readdirSync(options.dir)
      .map((name) => SEGMENT_PATTERN.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);

    const savedCursor = readCursor(options.dir, options.logger);
    const lastId = ids.at(-1);
    const writeSegment = lastId ?? 1;
    if (lastId !== undefined) repairTornTail(path.join(options.dir, segmentFileName(lastId)), options.logger);

    // The cursor names the first unsent byte; segments wholly before it were sent.
    let cursor: SpoolPosition = savedCursor ?? { segment: ids[0] ?? writeSegment, offset: 0 };
    const firstKept = ids.find((id) => id >= cursor.segment);
    if (firstKept === undefined) cursor = { segment: writeSegment, offset: 0 };
    else if (firstKept !== cursor.segment) cursor = { segment: firstKept, offset: 0 };

    const spool = new Spool(options, { cursor, writeSegment });
    for (const id of ids) {
      const file = spool.segmentPath(id);
      if (id < cursor.segment) {
        fs.rmSync(file, { force: true });
        continue;
      }
      const { bytes, lines, linesBefore } = countLines(file, id === cursor.segment ? cursor.offset : 0);
      if (id === cursor.segment && cursor.offset > bytes) spool.cursor = { segment: id, offset: bytes };
      const sentLines = id === cursor.segment ? linesBefore : 0;
      spool.segments.set(id, { bytes, lines, sentLines });
      spool.totalBytes += bytes;
      spool.pending += lines - sentLines;
    }
    if (!spool.segments.has(writeSegment))
      spool.segments.set(writeSegment, { bytes: 0, lines: 0, sentLines: 0 });
    if (spool.pending === 0) spool.resetMemoryAt(spool.head());
    if (spool.pending > 0) {
      options.logger.info(
        { points: spool.pending, bytes: spool.pendingBytes(), segments: spool.segments.size },
        'telemetry spool holds unsent points from a previous run; replaying oldest first',
      );
    }
    return spool;
  }

  get pendingLines(): number {
    return this.pending;
  }

  get droppedLines(): number {
    return this.dropped;
  }

  /** Bytes of line protocol not yet accepted by the server. */
  pendingBytes(): number {
    let bytes = 0;
    for (const [id, info] of this.segments) {
      if (id > this.cursor.segment) bytes += info.bytes;
      else if (id === this.cursor.segment) bytes += info.bytes - this.cursor.offset;
    }
    return bytes;
  }

  /** Writes lines (without newlines) to the current segment before returning. */
  append(lines: readonly string[]): void {
    if (lines.length === 0) return;
    const data = Buffer.from(lines.length === 1 ? `${lines[0]}\n` : `${lines.join('\n')}\n`);
    const length = data.length;
    let info = this.segments.get(this.writeSegment)!;
    if (info.bytes > 0 && info.bytes + length > this.options.segmentBytes) info = this.rotate();

    const startOffset = info.bytes;
    writeFully(this.writeFd, data);
    info.bytes += length;
    info.lines += lines.length;
    this.totalBytes += length;
    this.pending += lines.length;

    if (this.memoryValid) {
      if (this.memLines + lines.length > this.options.memoryMaxLines) {
        // The sender is behind: let it read the files, and free the memory.
        this.invalidateMemory();
      } else {
        this.memChunks.push({
          data,
          lines: lines.length,
          segment: this.writeSegment,
          end: startOffset + length,
        });
        this.memLines += lines.length;
      }
    }
    if (this.totalBytes > this.options.maxBytes) this.enforceBound();
  }

  /** The next batch from the cursor, oldest first; null when nothing is pending. */
  async readBatch(maxLines: number): Promise<SpoolBatch | null> {
    if (this.pending === 0) return null;
    if (this.memoryValid && comparePositions(this.cursor, this.memoryFrom) === 0) {
      return this.memoryBatch(maxLines);
    }
    if (this.memoryValid) this.invalidateMemory();
    for (let tries = 0; tries < 3; tries++) {
      const dropsBefore = this.dropped;
      const batch = await this.diskBatch(maxLines);
      // A segment dropped while reading may have been the one read: read again.
      if (this.dropped === dropsBefore) return batch;
    }
    return null;
  }

  /** Moves the cursor past a batch the server accepted, and deletes fully sent segments. */
  commit(batch: SpoolBatch): void {
    // The bound may have dropped the batch's segment meanwhile: the cursor moved on already.
    if (comparePositions(batch.end, this.cursor) <= 0) return;
    for (const [id, count] of batch.linesPerSegment) {
      const info = this.segments.get(id);
      if (!info) continue;
      info.sentLines += count;
      this.pending -= count;
    }
    this.cursor = { ...batch.end };
    if (batch.fromMemory && batch.memoryEpoch === this.memoryEpoch && this.memoryValid) {
      // memoryBatch made the batch end on a chunk's end: its chunks are the first `count` lines' worth.
      for (let lines = batch.count; lines > 0; this.memHead++) lines -= this.memChunks[this.memHead]!.lines;
      this.memLines -= batch.count;
      this.memoryFrom = { ...batch.end };
      if (this.memHead > 1024 && this.memHead * 2 > this.memChunks.length) this.compactMemory();
    }
    for (const id of [...this.segments.keys()]) {
      if (id < this.cursor.segment) this.deleteSegment(id);
    }
    this.saveCursorSoon();
  }

  close(): void {
    try {
      if (this.cursorSaveTimer !== null) clearTimeout(this.cursorSaveTimer);
      this.cursorSaveTimer = null;
      this.persistCursor();
    } finally {
      fs.closeSync(this.writeFd);
    }
  }

  private memoryBatch(maxLines: number): SpoolBatch | null {
    const parts: Buffer[] = [];
    const linesPerSegment = new Map<number, number>();
    let count = 0;
    let end: SpoolPosition | null = null;
    for (let i = this.memHead; i < this.memChunks.length && count < maxLines; i++) {
      if (count + this.memChunks[i]!.lines > maxLines) this.splitChunk(i, maxLines - count);
      const chunk = this.memChunks[i]!;
      parts.push(chunk.data);
      count += chunk.lines;
      linesPerSegment.set(chunk.segment, (linesPerSegment.get(chunk.segment) ?? 0) + chunk.lines);
      end = { segment: chunk.segment, offset: chunk.end };
    }
    if (end === null) return null;
    return {
      body: joined(parts),
      count,
      end,
      linesPerSegment,
      fromMemory: true,
      memoryEpoch: this.memoryEpoch,
    };
  }

  /** Splits the chunk at `index` after its first `lines` lines, so that a batch can end there. */
  private splitChunk(index: number, lines: number): void {
    const chunk = this.memChunks[index]!;
    const cut = leadingLines(chunk.data, lines).end;
    const tailBytes = chunk.data.length - cut;
    this.memChunks.splice(
      index,
      1,
      { ...chunk, data: chunk.data.subarray(0, cut), lines, end: chunk.end - tailBytes },
      { ...chunk, data: chunk.data.subarray(cut), lines: chunk.lines - lines },
    );
  }

  private async diskBatch(maxLines: number): Promise<SpoolBatch | null> {
    const parts: Buffer[] = [];
    let count = 0;
    const linesPerSegment = new Map<number, number>();
    let position = { ...this.cursor };
    let chunkBytes = READ_CHUNK_BYTES;

    while (count < maxLines) {
      const info = this.segments.get(position.segment);
      if (!info) {
        const next = this.nextSegmentAfter(position.segment);
        if (next === undefined) break;
        position = { segment: next, offset: 0 };
        continue;
      }
      if (position.offset >= info.bytes) {
        if (position.segment >= this.writeSegment) break;
        const next = this.nextSegmentAfter(position.segment);
        if (next === undefined) break;
        position = { segment: next, offset: 0 };
        continue;
      }
      const length = Math.min(info.bytes - position.offset, chunkBytes);
      const chunk = await readRange(this.segmentPath(position.segment), position.offset, length);
      if (chunk === null) break;
      const { count: taken, end: start } = leadingLines(chunk, maxLines - count);
      if (taken === 0) {
        // A line longer than the chunk: read more at once.
        chunkBytes *= 2;
        continue;
      }
      parts.push(chunk.subarray(0, start));
      count += taken;
      linesPerSegment.set(position.segment, (linesPerSegment.get(position.segment) ?? 0) + taken);
      position = { segment: position.segment, offset: position.offset + start };
    }
    if (count === 0) return null;

    // Caught up with the writer: the memory tail can take over from here.
    if (!this.memoryValid && comparePositions(position, this.head()) === 0) this.resetMemoryAt(position);
    return {
      body: joined(parts),
      count,
      end: position,
      linesPerSegment,
      fromMemory: false,
      memoryEpoch: this.memoryEpoch,
    };
  }

  private head(): SpoolPosition {
    return { segment: this.writeSegment, offset: this.segments.get(this.writeSegment)?.bytes ?? 0 };
  }

  private rotate(): SegmentInfo {
    fs.closeSync(this.writeFd);
    this.writeSegment++;
    this.writeFd = fs.openSync(this.segmentPath(this.writeSegment), 'a');
    const info = { bytes: 0, lines: 0, sentLines: 0 };
    this.segments.set(this.writeSegment, info);
    return info;
  }

  /** Drops oldest segments until the spool fits its bound again; the write segment is never dropped. */
  private enforceBound(): void {
    while (this.totalBytes > this.options.maxBytes) {
      const oldest = Math.min(...this.segments.keys());
      if (oldest === this.writeSegment) {
        this.rotate();
        continue;
      }
      const info = this.segments.get(oldest)!;
      const lost = info.lines - info.sentLines;
      this.dropped += lost;
      this.pending -= lost;
      this.deleteSegment(oldest);
      if (this.cursor.segment <= oldest) {
        this.cursor = { segment: this.nextSegmentAfter(oldest) ?? this.writeSegment, offset: 0 };
        this.persistCursor();
      }
      this.invalidateMemory();
      this.options.logger.error(
        {
          segment: oldest,
          droppedPoints: lost,
          droppedBytes: info.bytes,
          droppedTotal: this.dropped,
          spoolMaxBytes: this.options.maxBytes,
          pendingPoints: this.pending,
        },
        'telemetry spool full: dropped its oldest segment; these points are lost',
      );
    }
  }

  private deleteSegment(id: number): void {
    const info = this.segments.get(id);
    if (!info) return;
    this.segments.delete(id);
    this.totalBytes -= info.bytes;
    try {
      fs.rmSync(this.segmentPath(id), { force: true });
    } catch (error) {
      this.options.logger.warn({ err: error, segment: id }, 'could not delete a telemetry spool segment');
    }
  }

  private nextSegmentAfter(id: number): number | undefined {
    let next: number | undefined;
    for (const candidate of this.segments.keys()) {
      if (candidate > id && (next === undefined || candidate < next)) next = candidate;
    }
    return next;
  }

  private invalidateMemory(): void {
    this.memoryValid = false;
    this.memoryEpoch++;
    this.memChunks = [];
    this.memHead = 0;
    this.memLines = 0;
  }

  private resetMemoryAt(position: SpoolPosition): void {
    this.invalidateMemory();
    this.memoryValid = true;
    this.memoryFrom = { ...position };
  }

  private compactMemory(): void {
    this.memChunks = this.memChunks.slice(this.memHead);
    this.memHead = 0;
  }

  /** Writes the cursor now, or once CURSOR_SAVE_INTERVAL_MS has passed since the last write. */
  private saveCursorSoon(): void {
    const wait = this.cursorSavedAt + CURSOR_SAVE_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      this.persistCursor();
      return;
    }
    this.cursorSaveTimer ??= setTimeout(() => {
      this.cursorSaveTimer = null;
      try {
        this.persistCursor();
      } catch (error) {
        // The next commit or close tries again; until then a crash re-sends from the last saved cursor.
        this.options.logger.warn(
          { err: error, dir: this.options.dir },
          'could not save the telemetry spool cursor',
        );
      }
    }, wait).unref();
  }

  private persistCursor(): void {
    this.cursorSavedAt = performance.now();
    const file = path.join(this.options.dir, CURSOR_FILE);
    const temporary = `${file}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(this.cursor));
    fs.renameSync(temporary, file);
  }

  private segmentPath(id: number): string {
    return path.join(this.options.dir, segmentFileName(id));
  }
}

function readCursor(dir: string, logger: pino.Logger): SpoolPosition | null {
  const file = path.join(dir, CURSOR_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as Partial<SpoolPosition>;
    if (Number.isSafeInteger(parsed.segment) && Number.isSafeInteger(parsed.offset) && parsed.offset! >= 0) {
      return { segment: parsed.segment!, offset: parsed.offset! };
    }
  } catch {
    // fall through: an unreadable cursor means replaying from the oldest segment
  }
  logger.warn(
    { file },
    'telemetry spool cursor unreadable; replaying from the oldest segment (re-sent points are idempotent)',
  );
  return null;
}

/** A write cut short (power loss) leaves a partial last line: drop it rather than send garbage. */
function repairTornTail(file: string, logger: pino.Logger): void {
  const size = fs.statSync(file).size;
  if (size === 0) return;
  const fd = fs.openSync(file, 'r+');
  try {
    const tailLength = Math.min(size, 64 * 1024);
    const tail = Buffer.alloc(tailLength);
    fs.readSync(fd, tail, 0, tailLength, size - tailLength);
    if (tail[tailLength - 1] === NEWLINE) return;
    const lastNewline = tail.lastIndexOf(NEWLINE);
    const keep = lastNewline === -1 ? Math.max(0, size - tailLength) : size - tailLength + lastNewline + 1;
    fs.ftruncateSync(fd, keep);
    logger.warn(
      { file, removedBytes: size - keep },
      'telemetry spool segment ended in a partial line; removed it',
    );
  } finally {
    fs.closeSync(fd);
  }
}

function countLines(file: string, splitAt: number): { bytes: number; lines: number; linesBefore: number } {
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.alloc(4 << 20);
  let position = 0;
  let lines = 0;
  let linesBefore = 0;
  try {
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) break;
      let index = buffer.indexOf(NEWLINE, 0);
      while (index !== -1 && index < read) {
        lines++;
        if (position + index < splitAt) linesBefore++;
        index = buffer.indexOf(NEWLINE, index + 1);
      }
      position += read;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { bytes: position, lines, linesBefore };
}

async function readRange(file: string, offset: number, length: number): Promise<Buffer | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A batch's parts as one body: the one part itself when there is one (no copy). */
function joined(parts: readonly Buffer[]): Buffer {
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

function writeFully(fd: number, data: Buffer): void {
  // A short write is rare (signals, a nearly full disk): write the rest.
  let done = 0;
  while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done);
}
