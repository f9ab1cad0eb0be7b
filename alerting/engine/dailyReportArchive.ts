import { randomUUID } from 'node:crypto';
import type { AlertStore, ArchivedReport, OutboxRow, ReportQuery } from '../alertStore.ts';
import { computeDailyReport, type DailyReport } from '../dailyReport.ts';
import { dayBounds, previousDay } from '../dailyReportPeriod.ts';
import { robotSummaryNotification } from '../dailyReportSummary.ts';
import { localDayKey } from '../localTime.ts';
import type { Locale } from '../notificationTexts.ts';
import { pendingOutboxRow } from './decisionBatch.ts';
import { type ReportJobDeps, reportInputs } from './reportInputs.ts';

/** The last local day archived (and its robot summaries queued): written with them, in one transaction. */
const ARCHIVED_DAY_KEY = 'dailyReport.archivedDay';
/** When this database first ran the archive: no catch-up for days before the service existed. */
const SINCE_KEY = 'dailyReport.since';
/** Set by the e-mail report (dailyReportJob.ts): a database that has one is no new installation. */
const EMAIL_DAY_KEY = 'dailyReport.lastDay';

type Outcome = {
  day: string;
  reports: number;
  robots: number;
  skipped?: 'alreadyArchived' | 'nothingMissed';
};

/**
 * The daily reports by local day (TZ_LOCAL): computed on demand for the API, archived by the
 * scheduled run for the grid roots and every node with people, with a short summary posted to each
 * of those nodes' group robots through the outbox (retried, sent once). Archive, robot messages and
 * the archived day commit together, so a day is archived and posted once, whatever restarts.
 */
export class DailyReportArchive {
  constructor(private readonly deps: ReportJobDeps) {}

  /** TZ_LOCAL and LOCALE, for the files' headers and times. */
  get tz(): string {
    return this.deps.tz;
  }
  get locale(): Locale {
    return this.deps.locale;
  }
  /** Today's local day, for the default of "yesterday". */
  today(): string {
    return localDayKey(this.deps.now(), this.deps.tz);
  }

  /** The archive, newest day first (ReportArchive.listReports). */
  list(q: ReportQuery): ReturnType<AlertStore['listReports']> {
    return this.deps.store.listReports(q);
  }

  /** One node's report for one local day: as archived if it was, otherwise computed now. */
  async report(
    gridId: string,
    day: string,
  ): Promise<{ report: DailyReport; generatedAt: number; archived: boolean }> {
    const kept = await this.deps.store.getReport(gridId, day);
    if (kept) return { report: kept.report, generatedAt: kept.generatedAt, archived: true };
    const now = this.deps.now();
    const { from, to } = dayBounds(day, this.deps.tz);
    const inputs = await reportInputs(this.deps, from, to, now);
    return { report: computeDailyReport({ rootId: gridId, ...inputs }), generatedAt: now, archived: false };
  }

  /** The scheduled run's part: the day before the run's local day. */
  runFor(firedAt: number): Promise<Outcome> {
    return this.archiveDay(previousDay(localDayKey(firedAt, this.deps.tz)), false);
  }

  async archiveDay(day: string, force: boolean): Promise<Outcome> {
    const { store, registry, logger } = this.deps;
    const archived = await store.getState(ARCHIVED_DAY_KEY);
    if (!force && archived !== undefined && archived >= day) {
      return { day, reports: 0, robots: 0, skipped: 'alreadyArchived' };
    }
    const now = this.deps.now();
    const { from, to } = dayBounds(day, this.deps.tz);
    const inputs = await reportInputs(this.deps, from, to, now);
    const reports: ArchivedReport[] = [];
    const outbox: OutboxRow[] = [];
    for (const node of inputs.nodes) {
      const people = registry.workersAt(node.id).filter((w) => w.role === 'leader' || w.role === 'worker');
      if (node.parentId !== null && people.length === 0) continue;
      const report = computeDailyReport({ rootId: node.id, ...inputs });
      reports.push({ gridId: node.id, day, generatedAt: now, report });
      // A group robot several workers share gets the summary once.
      const robots = new Map(people.filter((w) => w.webhook).map((w) => [w.webhook as string, w]));
      for (const w of robots.values()) {
        const id = randomUUID();
        const recipient = { id: w.id, name: w.name ?? null, webhook: w.webhook ?? null };
        const notification = robotSummaryNotification(report, day, this.deps.locale, recipient, id);
        outbox.push(
          pendingOutboxRow(
            { id, alertId: null, kind: 'report', channel: 'webhook', recipientId: w.id, notification },
            now,
          ),
        );
      }
    }
    const state = { [ARCHIVED_DAY_KEY]: archived !== undefined && archived > day ? archived : day };
    await store.apply({ reports, outbox, state });
    logger.info({ day, reports: reports.length, robots: outbox.length, force }, 'daily report archived');
    if (outbox.length > 0) this.deps.afterQueue();
    return { day, reports: reports.length, robots: outbox.length };
  }

  /**
   * At start (on the alerting owner): if the schedule was due while the service was down and that
   * day is not archived, archive and post it now. Only the latest missed day: a week down sends one
   * report, not seven. `lastDue`: when the schedule last fired or should have (dailyReportSchedule.ts).
   */
  async catchUp(lastDue: number | null): Promise<Outcome | null> {
    const { store, tz, logger } = this.deps;
    let since = Number(await store.getState(SINCE_KEY));
    if (Number.isNaN(since)) {
      since = (await store.getState(EMAIL_DAY_KEY)) !== undefined ? 0 : this.deps.now();
      await store.apply({ state: { [SINCE_KEY]: String(since) } });
    }
    if (lastDue === null || lastDue < since) return null;
    const day = previousDay(localDayKey(lastDue, tz));
    const archived = await store.getState(ARCHIVED_DAY_KEY);
    if (archived !== undefined && archived >= day) return null;
    logger.warn(
      { day, dueAt: new Date(lastDue).toISOString() },
      'daily report missed while down: sending it now',
    );
    return this.archiveDay(day, false);
  }
}
