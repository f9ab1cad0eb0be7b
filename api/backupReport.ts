/**
 * What the scheduled backups (BACKUP_DIR, app/components/backup.ts) tell /metrics and /readyz. The API
 * reads it; the backup component keeps it. Times are epoch milliseconds.
 */
export interface BackupReport {
  /** When the last backup began (null before the first). */
  readonly lastAttemptAt: number | null;
  /** Whether it succeeded (null before the first). */
  readonly lastOk: boolean | null;
  /** The last backup's file name (without its directory: /readyz is public). */
  readonly lastFile: string | null;
  /** Why the last backup failed, as a code and a short reason (the log has the whole error). */
  readonly lastError: string | null;
  readonly lastSuccessAt: number | null;
  /** Size and duration of the last successful backup. */
  readonly lastBytes: number | null;
  readonly lastDurationMs: number | null;
  /** Failed backups since start. */
  readonly failures: number;
  /** When the schedule runs next. */
  nextAt(): number | null;
}
