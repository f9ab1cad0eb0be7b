/**
 * Restores a backup (backupInstallation.ts) into a DATA_DIR. Everything is extracted into a staging
 * directory inside DATA_DIR and proved first: every entry's size and SHA-256 against the manifest, nothing
 * missing or extra, and SQLite's `PRAGMA integrity_check` on the database. Only then are the files moved into
 * place (renames on one file system). A refused restore removes its staging directory, and DATA_DIR if it
 * created it, so it changes nothing.
 *
 * Staging inside DATA_DIR rather than beside it: DATA_DIR is often a mount point (a Docker volume) whose
 * parent the service's user cannot write.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ServiceError } from '../../core/errors.ts';
import { STEPS } from '../schema/steps.ts';
import { extractArchive } from './backupArchive.ts';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  type BackupManifest,
  DATABASE_FILE,
  MANIFEST_FILE,
  sha256Of,
} from './backupInstallation.ts';
import { checkDatabaseFile } from './backupOnline.ts';

const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_FORMAT_VERSION),
  createdAt: z.string(),
  schemaVersion: z.number().int().nullable(),
  files: z.array(z.object({ name: z.string(), bytes: z.number().int().min(0), sha256: z.string() })),
});

const STAGING_PREFIX = '.sealwatch-restore-';

export interface RestoreOptions {
  archive: string;
  dataDir: string;
  /** Replace what DATA_DIR holds (deleted once the backup is proved whole). */
  force: boolean;
  /** Each stage as it begins, for the CLI's progress lines. */
  onStage?: (stage: string) => void;
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** What DATA_DIR held before and --force removed. */
  replaced: string[];
}

const refused = (message: string, context: Record<string, unknown> = {}) =>
  new ServiceError('validation', message, context);

export async function restoreInstallation(options: RestoreOptions): Promise<RestoreResult> {
  const { archive, dataDir } = options;
  const stage = options.onStage ?? (() => {});
  if (!existsSync(archive)) throw new ServiceError('not_found', `${archive} does not exist`, { archive });
  if (!(await stat(archive)).isFile()) throw refused(`${archive} is not a file`, { archive });
  const createdDir = !existsSync(dataDir);
  const before = createdDir ? [] : (await readdir(dataDir)).filter((n) => !n.startsWith(STAGING_PREFIX));
  if (before.length > 0 && !options.force)
    throw new ServiceError(
      'conflict',
      `${dataDir} is not empty (${before.slice(0, 5).join(', ')}${before.length > 5 ? ', …' : ''}); restore into an empty directory, or add --force to replace what it holds`,
      { dataDir },
    );

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(dataDir, STAGING_PREFIX));
  try {
    stage('unpacking');
    const entries = await extractArchive(archive, staging);
    stage('checking sizes and checksums');
    const manifest = await verifyAgainstManifest(
      staging,
      entries.map((e) => e.name),
    );
    stage('checking the database (PRAGMA integrity_check)');
    const db = checkDatabaseFile(join(staging, DATABASE_FILE));
    if (db.problems.length > 0)
      throw refused(`the database in the backup is damaged: ${db.problems.slice(0, 3).join('; ')}`, {
        problems: db.problems.slice(0, 20),
      });
    const newest = STEPS.at(-1)?.version ?? 0;
    if (db.schemaVersion !== null && db.schemaVersion > newest)
      throw refused(
        `the backup was made by a newer SealWatch (schema ${db.schemaVersion}, this one knows up to ${newest}); restore it with that version`,
      );

    stage('moving the files into place');
    const replaced: string[] = [];
    if (options.force) {
      // Whatever was there goes, the database's -wal and -shm above all: left beside the restored
      // database, SQLite would replay the old journal into it.
      for (const name of before) {
        await rm(join(dataDir, name), { recursive: true, force: true });
        replaced.push(name);
      }
    }
    // Only what the manifest lists (the integrity check's own -wal/-shm stay behind in staging).
    const topLevel = new Set(manifest.files.map((f) => f.name.split('/')[0] as string));
    for (const name of topLevel) await rename(join(staging, name), join(dataDir, name));
    await rm(staging, { recursive: true, force: true });
    await chmod(dataDir, 0o700);
    await tightenModes(dataDir);
    return { manifest, replaced };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    if (createdDir) await rmdir(dataDir).catch(() => {});
    throw err;
  }
}

async function verifyAgainstManifest(staging: string, names: string[]): Promise<BackupManifest> {
  if (names[0] !== MANIFEST_FILE)
    throw refused(`not a SealWatch backup: it does not begin with ${MANIFEST_FILE}`);
  let manifest: BackupManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(await readFile(join(staging, MANIFEST_FILE), 'utf8')));
  } catch (err) {
    throw refused(
      `not a SealWatch backup (format ${BACKUP_FORMAT} ${BACKUP_FORMAT_VERSION}): its manifest is unreadable`,
      {
        cause: (err as Error).message,
      },
    );
  }
  const listed = new Set(manifest.files.map((f) => f.name));
  const extra = names.slice(1).filter((n) => !listed.has(n));
  if (extra.length > 0)
    throw refused(`the backup holds files its manifest does not list: ${extra.join(', ')}`);
  if (!listed.has(DATABASE_FILE)) throw refused(`the backup holds no database (${DATABASE_FILE})`);
  for (const f of manifest.files) {
    const file = join(staging, ...f.name.split('/'));
    if (!existsSync(file)) throw refused(`the backup is missing ${f.name}, which its manifest lists`);
    const bytes = (await stat(file)).size;
    if (bytes !== f.bytes || (await sha256Of(file)) !== f.sha256)
      throw refused(`${f.name} in the backup does not match its checksum: the file is damaged`, {
        name: f.name,
      });
  }
  return manifest;
}

/** 0700 directories, 0600 files, whatever the umask of whoever restores. */
async function tightenModes(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await chmod(path, 0o700);
      await tightenModes(path);
    } else if (entry.isFile()) await chmod(path, 0o600);
  }
}
