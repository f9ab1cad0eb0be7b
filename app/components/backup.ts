/**
 * Scheduled backups (BACKUP_DIR, BACKUP_CRON, BACKUP_KEEP): the same file `npm run backup` writes, taken on
 * a cron schedule through the service's own SQLite connection (its writes go into the copy as they happen,
 * so the copy never starts over and each step is short). After a backup succeeds, the oldest beyond
 * BACKUP_KEEP are deleted; a failed one deletes nothing. What happened is kept in a BackupRecord that
 * /metrics and /readyz read, and logged as one line per backup.
 */

import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import cron from 'node-cron';
import type { BackupReport } from '../../api/backupReport.ts';
import type { Clock } from '../../core/clock.ts';
import { ServiceError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import {
  backupFileName,
  backupInstallation,
  listBackups,
  removeLeftovers,
} from '../../storage/sqlite/backupInstallation.ts';
import type { ConfigSections } from '../configSections.ts';
import type { Component } from '../lifecycle.ts';
import type { StorageComponent } from './storage.ts';

/** The scheduled backups' outcome so far: written by the component, read by the API. */
export class BackupRecord implements BackupReport {
  lastAttemptAt: number | null = null;
  lastOk: boolean | null = null;
  lastFile: string | null = null;
  lastError: string | null = null;
  lastSuccessAt: number | null = null;
  lastBytes: number | null = null;
  lastDurationMs: number | null = null;
  failures = 0;
  next: () => Date | null = () => null;

  nextAt(): number | null {
    return this.next()?.getTime() ?? null;
  }
}

export async function startBackups(
  section: ConfigSections['backup'],
  deps: { storage: StorageComponent; record: BackupRecord | null; clock: Clock; logger: Logger },
): Promise<Component> {
  const { dir } = section;
  const db = deps.storage.localDb;
  const record = deps.record;
  if (dir === undefined || record === null) return { name: 'backup', stop() {} };
  // core/config.ts refuses BACKUP_DIR with DATABASE_URL; this is for a composition that skipped it.
  if (db === null)
    throw new ServiceError('config', 'BACKUP_DIR backs up SQLite; with DATABASE_URL use pg_dump');
  const log = deps.logger.child({ component: 'backup' });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await removeLeftovers(dir);

  const stopping = new AbortController();
  const run = async (): Promise<void> => {
    const at = deps.clock.now();
    const file = join(dir, backupFileName(new Date(at)));
    const started = performance.now();
    record.lastAttemptAt = at;
    record.lastFile = basename(file);
    try {
      const result = await backupInstallation({
        dataDir: section.dataDir,
        source: db,
        outFile: file,
        now: new Date(at),
        signal: stopping.signal,
      });
      const ms = Math.round(performance.now() - started);
      const removed = await removeOldest(dir, section.keep);
      record.lastOk = true;
      record.lastError = null;
      record.lastSuccessAt = at;
      record.lastBytes = result.bytes;
      record.lastDurationMs = ms;
      log.info(
        {
          file,
          bytes: result.bytes,
          ms,
          pages: result.totalPages,
          files: result.manifest.files.length,
          removed,
        },
        'backup written',
      );
    } catch (err) {
      const ms = Math.round(performance.now() - started);
      if (stopping.signal.aborted) {
        log.info({ file, ms }, 'backup abandoned: the service is stopping');
        return;
      }
      record.lastOk = false;
      record.lastError = shortReason(err);
      record.failures++;
      log.error({ err, file, ms, failures: record.failures }, 'backup failed');
    }
  };

  let running: Promise<void> | null = null;
  const task = cron.schedule(
    section.cron,
    async () => {
      running = run();
      await running;
      running = null;
    },
    { timezone: section.tz, noOverlap: true, name: 'backup' },
  );
  record.next = () => task.getNextRun();
  log.info({ dir, cron: section.cron, keep: section.keep, next: task.getNextRun() }, 'scheduled backups on');
  return {
    name: 'backup',
    async stop() {
      await task.stop();
      await task.destroy();
      // A backup under way ends at its next step (its partial file is removed): the database closes next.
      stopping.abort();
      await (running as Promise<void> | null)?.catch(() => {});
    },
  };
}

/** Deletes the oldest scheduled backups beyond `keep`; returns their names. */
async function removeOldest(dir: string, keep: number): Promise<string[]> {
  const all = await listBackups(dir);
  const old = all.slice(0, Math.max(0, all.length - keep));
  for (const name of old) await rm(join(dir, name), { force: true });
  return old;
}

/** For /readyz (public): a code and a short reason, never a path. */
function shortReason(err: unknown): string {
  if (err instanceof ServiceError) return err.code;
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code === 'string') return e.syscall ? `${e.code} (${e.syscall})` : e.code;
  return 'failed (see the log)';
}
