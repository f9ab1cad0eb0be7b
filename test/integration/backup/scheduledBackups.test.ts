import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKUP_FILE_PATTERN } from '../../../storage/sqlite/backupInstallation.ts';
import { runCli } from '../../helpers/backupCli.ts';
import { eventually } from '../../helpers/eventually.ts';
import { startService } from '../../helpers/service.ts';

/** BACKUP_DIR, BACKUP_CRON (every second here) and BACKUP_KEEP, as /metrics, /readyz and the log tell them. */
const work = mkdtempSync(join(tmpdir(), 'sealwatch-scheduled-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('scheduled backups', () => {
  it('keep BACKUP_KEEP files, report success and failure without failing readiness, and restore', async () => {
    const dir = join(work, 'backups');
    const svc = await startService({
      env: { BACKUP_DIR: dir, BACKUP_CRON: '* * * * * *', BACKUP_KEEP: '2' },
    });
    try {
      const written = () => svc.logs.filter((l) => typeof l === 'object' && l.msg === 'backup written');
      await eventually(async () => written().length >= 3, 15_000, 'three backups written');
      const line = written()[0] as Record<string, unknown>;
      expect(line).toMatchObject({ component: 'backup', level: 30 });
      expect(line.file).toMatch(/sealwatch-backup-.*\.tar\.gz$/);
      expect(line.bytes).toBeGreaterThan(0);
      expect(typeof line.ms).toBe('number');

      const metrics = (await svc.api('GET', '/metrics', undefined, null)).body as string;
      const lastSuccess = metric(metrics, 'sealwatch_backup_last_success_timestamp_seconds');
      expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 30);
      expect(metric(metrics, 'sealwatch_backup_last_bytes')).toBeGreaterThan(0);
      expect(metric(metrics, 'sealwatch_backup_last_duration_seconds')).toBeGreaterThan(0);
      expect(metric(metrics, 'sealwatch_backup_failures_total')).toBe(0);
      const ready = await svc.api('GET', '/readyz', undefined, null);
      expect(ready.status).toBe(200);
      expect(ready.body.details.backup).toMatchObject({ ok: true, error: null });
      expect(ready.body.details.backup.file).toMatch(BACKUP_FILE_PATTERN);
      expect(Date.parse(ready.body.details.backup.nextAt)).toBeGreaterThan(Date.now() - 1_000);

      // BACKUP_DIR gone: the backups fail, say so, and the service stays ready.
      rmSync(dir, { recursive: true, force: true });
      await eventually(
        async () => (await svc.api('GET', '/readyz', undefined, null)).body.details.backup.ok === false,
        10_000,
        'a failed backup shown',
      );
      const failing = await svc.api('GET', '/readyz', undefined, null);
      expect(failing.status).toBe(200);
      expect(failing.body.details.backup.error).toMatch(/^ENOENT/);
      expect(failing.body.details.backup.lastSuccessAt).not.toBeNull();
      const afterFailure = (await svc.api('GET', '/metrics', undefined, null)).body as string;
      expect(metric(afterFailure, 'sealwatch_backup_failures_total')).toBeGreaterThan(0);
      expect(svc.logs.some((l) => typeof l === 'object' && l.msg === 'backup failed')).toBe(true);

      // Back again: the next backups succeed and the oldest beyond BACKUP_KEEP are removed.
      mkdirSync(dir, { mode: 0o700 });
      const before = written().length;
      await eventually(async () => written().length >= before + 3, 15_000, 'backups again');
      expect((await svc.api('GET', '/readyz', undefined, null)).body.details.backup.ok).toBe(true);
    } finally {
      await svc.stop();
    }
    // Stopped between runs or in one (which is abandoned and cleaned up): exactly BACKUP_KEEP remain.
    const left = readdirSync(dir);
    expect(left.filter((n) => BACKUP_FILE_PATTERN.test(n))).toHaveLength(2);
    expect(left.filter((n) => !BACKUP_FILE_PATTERN.test(n))).toEqual([]);

    const newest = left.sort().at(-1)!;
    const restore = await runCli('restore', [join(dir, newest), '--data-dir', join(work, 'restored')]);
    expect(restore.status).toBe(0);
    await svc.cleanup();
  });
});
