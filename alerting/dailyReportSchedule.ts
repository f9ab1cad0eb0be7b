import cron from 'node-cron';

export const DEFAULT_DAILY_REPORT_CRON = '0 8 * * *';

/**
 * Run `run` on `cronExpr` in time zone `tz` (TZ_LOCAL), default 08:00 local. Overlapping runs are
 * skipped (a slow report never runs twice at once). Errors from `run` go to `onError`; the schedule
 * keeps going. Missed runs while the process was down are not replayed here: the engine decides
 * (it knows from the store which day was last reported).
 */
export function createDailyReportSchedule(
  cronExpr: string,
  tz: string,
  run: (firedAt: Date) => Promise<void>,
  onError: (err: unknown) => void = () => {},
): { stop(): Promise<void>; nextRun(): Date | null } {
  if (!cron.validate(cronExpr)) throw new RangeError(`invalid cron expression "${cronExpr}"`);
  const task = cron.schedule(
    cronExpr,
    async (ctx) => {
      try {
        await run(ctx.date);
      } catch (err) {
        onError(err);
      }
    },
    { timezone: tz, noOverlap: true, name: 'daily-report' },
  );
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
    nextRun: () => task.getNextRun(),
  };
}

const MINUTE_MS = 60_000;

/**
 * The latest time at or before `now` (to the minute) the schedule fired or should have fired, looking
 * back at most `lookbackDays`; null if none. The catch-up after downtime compares it with the archive.
 */
export function lastDueAt(cronExpr: string, tz: string, now: number, lookbackDays = 8): number | null {
  const task = cron.createTask(cronExpr, () => {}, { timezone: tz, name: 'daily-report-due' });
  try {
    const oldest = now - lookbackDays * 24 * 60 * MINUTE_MS;
    for (let t = Math.floor(now / MINUTE_MS) * MINUTE_MS; t > oldest; t -= MINUTE_MS) {
      if (task.match(new Date(t))) return t;
    }
    return null;
  } finally {
    void task.destroy();
  }
}
