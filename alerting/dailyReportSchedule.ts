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
