import cron from 'node-cron';
import type { Logger } from '../core/logger.ts';
import type { Registry } from './registry.ts';

/** Daily, at 03:30 local time, and once at start: purge what is past retention. */
export function scheduleRetentionPurge(
  registry: Registry,
  retentionDays: number,
  timezone: string,
  logger: Logger,
): { stop(): void } {
  const retentionMs = retentionDays * 86_400_000;
  const run = () =>
    registry.purgeExpiredHouseholds(retentionMs).then(
      ({ households, doorEvents, auditEntries }) => {
        if (households.length > 0 || auditEntries > 0)
          logger.info(
            { households: households.length, doorEvents, auditEntries, retentionDays },
            'personal data purged',
          );
      },
      (err: unknown) => logger.error({ err }, 'retention purge failed'),
    );
  void run();
  const task = cron.schedule('30 3 * * *', () => void run(), { timezone });
  return { stop: () => void task.stop() };
}
