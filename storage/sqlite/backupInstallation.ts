/**
 * What a backup of a SQLite installation holds, and how it is taken while the service runs.
 *
 * One file, `.tar.gz` (backupArchive.ts), whose first entry `manifest.json` lists every other entry with
 * its size and SHA-256, so a restore proves the file whole before it writes anything:
 *   sealwatch.db        the database, copied with SQLite's online backup (a consistent snapshot)
 *   ack-link.key        signs acknowledge links (alerting/engine/ackKey.ts): links already sent keep working
 *   admin-token         the initial admin token (app/adminToken.ts), 0600
 *   mqtt-client-id      with an external broker (broker/external/clientId.ts): its queued session is ours
 *   telemetry-spool/    points accepted (PUBACK sent) but not yet in InfluxDB (ingest/telemetry/spool.ts)
 *
 * The spool is included: after losing the disk, those points exist nowhere else, and sending one twice is
 * harmless (InfluxDB keeps one point per series and time). It is copied without stopping the writer: the
 * cursor first, then the segments, so the copied cursor is never past the copied data (at worst points are
 * sent again); a segment deleted meanwhile was sent or dropped; a line cut mid-write at the end of a copied
 * segment is trimmed, as the spool itself trims a torn tail. It is small unless InfluxDB has been down.
 * Not included: the -wal/-shm files (the snapshot has everything committed), and anything else in DATA_DIR.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ServiceError } from '../../core/errors.ts';
import { type ArchiveEntry, writeArchive } from './backupArchive.ts';
import { type BackupProgress, copyDatabaseOnline, schemaVersion } from './backupOnline.ts';
import type { Db } from './openDatabase.ts';

export const DATABASE_FILE = 'sealwatch.db';
export const MANIFEST_FILE = 'manifest.json';
/** The small files of DATA_DIR a restored installation needs, copied when present. */
export const KEPT_FILES = ['ack-link.key', 'admin-token', 'mqtt-client-id'] as const;
export const SPOOL_DIR = 'telemetry-spool';
const SPOOL_SEGMENT = /^segment-\d{12}\.lp$/; // ingest/telemetry/spool.ts's segmentFileName

export const BACKUP_FORMAT = 'sealwatch-backup';
export const BACKUP_FORMAT_VERSION = 1;

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_FORMAT_VERSION;
  createdAt: string;
  /** The database's last schema step (storage/schema/steps.ts). */
  schemaVersion: number | null;
  files: { name: string; bytes: number; sha256: string }[];
}

export interface BackupResult {
  file: string;
  /** Size of the backup file. */
  bytes: number;
  manifest: BackupManifest;
  totalPages: number;
  /** How often SQLite started the copy over because another process wrote (CLI under load). */
  restarts: number;
}

export interface BackupOptions {
  dataDir: string;
  /** The installation's database: the service's own connection, or one the CLI opened. */
  source: Db;
  /** The backup file to write; must not exist. Written as FILE.partial and renamed when complete. */
  outFile: string;
  now: Date;
  onProgress?: (progress: BackupProgress) => void;
  signal?: AbortSignal;
}

/** Takes a backup of the installation in `dataDir` into `outFile`. */
export async function backupInstallation(options: BackupOptions): Promise<BackupResult> {
  const { dataDir, source, outFile } = options;
  if (existsSync(outFile))
    throw new ServiceError('conflict', `${outFile} already exists; choose another name`, { outFile });
  // Staged next to the output (same file system, so no surprise in a small /tmp), removed at the end.
  const staging = await mkdtemp(join(dirname(outFile), '.sealwatch-backup-'));
  const partial = `${outFile}.partial`;
  try {
    const { totalPages, restarts } = await copyDatabaseOnline(source, join(staging, DATABASE_FILE), {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const names = [DATABASE_FILE];
    for (const name of KEPT_FILES) {
      if (await copyIfPresent(join(dataDir, name), join(staging, name))) names.push(name);
    }
    names.push(...(await copySpool(join(dataDir, SPOOL_DIR), join(staging, SPOOL_DIR))));

    const files: BackupManifest['files'] = [];
    for (const name of names) {
      options.signal?.throwIfAborted();
      const file = join(staging, ...name.split('/'));
      files.push({ name, bytes: (await stat(file)).size, sha256: await sha256Of(file) });
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_FORMAT_VERSION,
      createdAt: options.now.toISOString(),
      schemaVersion: schemaVersion(source),
      files,
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    const entries: ArchiveEntry[] = [
      { name: MANIFEST_FILE, source: { bytes: manifestBytes }, bytes: manifestBytes.length, mode: 0o600 },
      ...files.map((f) => ({
        name: f.name,
        source: { file: join(staging, ...f.name.split('/')) },
        bytes: f.bytes,
        mode: 0o600,
      })),
    ];
    await writeArchive(partial, entries, options.signal);
    await syncFile(partial); // on disk before it carries the final name
    await rename(partial, outFile);
    return { file: outFile, bytes: (await stat(outFile)).size, manifest, totalPages, restarts };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function copyIfPresent(from: string, to: string): Promise<boolean> {
  try {
    await copyFile(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** The spool's cursor, then its segments (see the top of this file for why in this order). */
async function copySpool(from: string, to: string): Promise<string[]> {
  if (!existsSync(from)) return [];
  await mkdir(to, { mode: 0o700 });
  const copied: string[] = [];
  if (await copyIfPresent(join(from, 'cursor.json'), join(to, 'cursor.json')))
    copied.push(`${SPOOL_DIR}/cursor.json`);
  const segments = (await readdir(from)).filter((n) => SPOOL_SEGMENT.test(n)).sort();
  for (const name of segments) {
    if (!(await copyIfPresent(join(from, name), join(to, name)))) continue;
    await trimTornTail(join(to, name));
    copied.push(`${SPOOL_DIR}/${name}`);
  }
  return copied;
}

/** Cuts a copied segment after its last newline: a line being appended while it was copied is left out. */
async function trimTornTail(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const tailLength = Math.min(size, 64 * 1024);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    if (tail[tailLength - 1] === 0x0a) return;
    const lastNewline = tail.lastIndexOf(0x0a);
    await handle.truncate(
      lastNewline === -1 ? Math.max(0, size - tailLength) : size - tailLength + lastNewline + 1,
    );
  } finally {
    await handle.close();
  }
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The scheduled backups' file names: they sort by time, and nothing else in BACKUP_DIR matches. */
export function backupFileName(at: Date): string {
  return `sealwatch-backup-${at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-')}.tar.gz`;
}

export const BACKUP_FILE_PATTERN = /^sealwatch-backup-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.tar\.gz$/;

/** The scheduled backups in `dir`, oldest first. */
export async function listBackups(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => BACKUP_FILE_PATTERN.test(n)).sort();
}

/** Leftovers of a backup cut short (the process died): staging directories and .partial files. */
export async function removeLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (
      name.startsWith('.sealwatch-backup-') ||
      (name.endsWith('.partial') && name.startsWith('sealwatch-backup-'))
    )
      await rm(join(dir, name), { recursive: true, force: true });
  }
}
