/**
 * The backup file's container: a gzip-compressed POSIX tar (ustar), written and read by this module so no tar
 * package is needed, and readable by the system's own tools in an emergency (`tar -tzvf FILE`,
 * `tar -xzf FILE`). Only regular files, with names relative to DATA_DIR; sizes of 8 GiB and more use the
 * base-256 size field GNU tar and bsdtar read.
 *
 * Writing streams every file through gzip (no file is read into memory, the event loop is never held);
 * reading extracts into a directory and refuses anything that is not a plain relative path, so a crafted
 * file cannot write outside the directory it is extracted into.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { ServiceError } from '../../core/errors.ts';

const BLOCK = 512;
const OCTAL_SIZE_LIMIT = 8 ** 11; // 8 GiB: larger sizes need the base-256 form

export interface ArchiveEntry {
  /** Path inside the archive (relative, `/`-separated). */
  name: string;
  /** The file on disk whose bytes are stored, or the bytes themselves. */
  source: { file: string } | { bytes: Buffer };
  bytes: number;
  mode: number;
}

export interface ExtractedEntry {
  name: string;
  bytes: number;
  mode: number;
}

/** Writes `entries` in order as a .tar.gz to `outFile` (created with mode 0600). */
export async function writeArchive(
  outFile: string,
  entries: readonly ArchiveEntry[],
  signal?: AbortSignal,
): Promise<void> {
  async function* blocks(): AsyncGenerator<Buffer> {
    for (const entry of entries) {
      yield header(entry.name, entry.bytes, entry.mode);
      let written = 0;
      if ('bytes' in entry.source) {
        yield entry.source.bytes;
        written = entry.source.bytes.length;
      } else {
        // Exactly `bytes` bytes: the header already promised that many.
        const end = entry.bytes - 1;
        if (entry.bytes > 0) {
          for await (const chunk of createReadStream(entry.source.file, { start: 0, end })) {
            written += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
        }
      }
      if (written !== entry.bytes)
        throw new ServiceError('internal', `${entry.name} changed size while it was archived`, {
          name: entry.name,
          expected: entry.bytes,
          written,
        });
      const pad = (BLOCK - (entry.bytes % BLOCK)) % BLOCK;
      if (pad > 0) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(BLOCK * 2); // the end-of-archive marker
  }
  await pipeline(
    Readable.from(blocks()),
    createGzip(),
    createWriteStream(outFile, { mode: 0o600 }),
    signal ? { signal } : {},
  );
}

/**
 * Extracts the archive into `intoDir` (which must exist) and returns its entries in order. Throws a
 * ServiceError('validation') naming what is wrong for a file that is not a complete SealWatch archive:
 * not gzip, cut short, a damaged header, or a name that would leave `intoDir`.
 */
export async function extractArchive(archive: string, intoDir: string): Promise<ExtractedEntry[]> {
  const entries: ExtractedEntry[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let current: { handle: FileHandle; remaining: number; pad: number } | null = null;
  let ended = false;
  try {
    const gunzip = createGunzip();
    const source = createReadStream(archive);
    source.on('error', (err) => gunzip.destroy(err));
    source.pipe(gunzip);
    for await (const chunk of gunzip) {
      pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
      for (;;) {
        if (current) {
          if (current.remaining > 0) {
            if (pending.length === 0) break;
            const take = Math.min(current.remaining, pending.length);
            await current.handle.write(pending.subarray(0, take));
            current.remaining -= take;
            pending = pending.subarray(take);
            continue;
          }
          if (pending.length < current.pad) break;
          pending = pending.subarray(current.pad);
          await current.handle.close();
          current = null;
          continue;
        }
        if (ended || pending.length < BLOCK) break;
        const block = pending.subarray(0, BLOCK);
        pending = pending.subarray(BLOCK);
        if (block.every((b) => b === 0)) {
          ended = true;
          break;
        }
        const entry = parseHeader(block);
        entries.push(entry);
        const target = join(intoDir, ...entry.name.split('/'));
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        current = {
          handle: await open(target, 'wx', 0o600),
          remaining: entry.bytes,
          pad: (BLOCK - (entry.bytes % BLOCK)) % BLOCK,
        };
      }
    }
  } catch (err) {
    if (err instanceof ServiceError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw err;
    const message = (err as Error).message;
    throw new ServiceError(
      'validation',
      message === 'unexpected end of file'
        ? 'the backup file is incomplete: it ends too early (was it copied completely?)'
        : `the backup file is damaged or not a SealWatch backup (${message})`,
      { archive },
    );
  } finally {
    await (current as { handle: FileHandle } | null)?.handle.close();
  }
  if (!ended || current)
    throw new ServiceError('validation', 'the backup file is incomplete: it ends before its last file does', {
      archive,
    });
  return entries;
}

function header(name: string, size: number, mode: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) throw new ServiceError('internal', `archive name too long: ${name}`);
  block.write(name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, mode & 0o7777);
  writeOctal(block, 108, 8, 0); // uid: restore gives files to whoever runs it
  writeOctal(block, 116, 8, 0);
  if (size < OCTAL_SIZE_LIMIT) writeOctal(block, 124, 12, size);
  else {
    block[124] = 0x80;
    block.writeBigUInt64BE(BigInt(size), 128);
  }
  writeOctal(block, 136, 12, Math.floor(Date.now() / 1000));
  block.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  block.write('0', 156); // a regular file
  block.write('ustar\u000000', 257, 8, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return block;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'latin1');
}

function parseHeader(block: Buffer): ExtractedEntry {
  const damaged = (what: string) =>
    new ServiceError('validation', `the backup file is damaged (${what})`, { header: what });
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  if (readOctal(block, 148, 8) !== sum) throw damaged('a file header fails its checksum');
  const type = String.fromCharCode(block[156] as number);
  const name = block.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
  if (type !== '0' && type !== '\0') throw damaged(`'${name}' is not a regular file`);
  const prefix = block.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
  const full = prefix ? `${prefix}/${name}` : name;
  if (!isSafeName(full)) throw damaged(`'${full}' is not a plain relative name`);
  const size = (block[124] as number) & 0x80 ? Number(block.readBigUInt64BE(128)) : readOctal(block, 124, 12);
  return { name: full, bytes: size, mode: readOctal(block, 100, 8) };
}

function readOctal(block: Buffer, offset: number, length: number): number {
  const text = block
    .subarray(offset, offset + length)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : Number.NaN;
}

/** Relative, `/`-separated, no `.`/`..` parts, no empty parts, nothing odd. */
export function isSafeName(name: string): boolean {
  if (name.length === 0 || name.startsWith('/') || name.includes('\\')) return false;
  return name
    .split('/')
    .every((part) => part !== '' && part !== '.' && part !== '..' && !part.includes('\0'));
}
