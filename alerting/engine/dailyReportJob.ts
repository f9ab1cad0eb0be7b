import { randomUUID } from 'node:crypto';
import type { OutboxRow } from '../alertStore.ts';
import { computeDailyReport, dailyReportNotification, renderDailyReport } from '../dailyReport.ts';
import { localDayKey } from '../localTime.ts';
import { pendingOutboxRow } from './decisionBatch.ts';
import { type ReportJobDeps, reportInputs } from './reportInputs.ts';

const DAY_MS = 24 * 60 * 60_000;
const LAST_DAY_KEY = 'dailyReport.lastDay';

/**
 * The daily report (日报): for every grid node with leaders who have an e-mail address, one e-mail
 * per such leader about the node's subtree over the last 24 h. Queued in the outbox (retried like any
 * notification). The local day it ran for is kept in engine_state, so a restart the same day does
 * not send it twice; `force` (the admin route) sends anyway.
 */
export class DailyReportJob {
  constructor(private readonly deps: ReportJobDeps & { emailOn: boolean }) {}

  async run(force: boolean): Promise<{ day: string; reports: number; skipped?: 'alreadySent' | 'emailOff' }> {
    const { store, registry, engine, locale, tz, logger } = this.deps;
    const to = this.deps.now();
    const day = localDayKey(to, tz);
    if (!force && (await store.getState(LAST_DAY_KEY)) === day)
      return { day, reports: 0, skipped: 'alreadySent' };
    if (!this.deps.emailOn) {
      logger.warn({ day }, 'daily report not sent: the e-mail channel is off (no SMTP_URL)');
      return { day, reports: 0, skipped: 'emailOff' };
    }
    const inputs = await reportInputs({ engine, store, registry }, to - DAY_MS, to, to);
    const rows: OutboxRow[] = [];
    for (const node of inputs.nodes) {
      const contacts = registry.workersAt(node.id).filter((w) => w.role === 'leader' && w.email);
      if (contacts.length === 0) continue;
      const report = computeDailyReport({ rootId: node.id, ...inputs });
      const rendered = renderDailyReport(report, locale, tz);
      for (const w of contacts) {
        const id = randomUUID();
        rows.push(
          pendingOutboxRow(
            {
              id,
              alertId: null,
              kind: 'report',
              channel: 'email',
              recipientId: w.id,
              notification: dailyReportNotification(
                report,
                rendered,
                { id: w.id, name: w.name ?? null, email: w.email ?? null },
                id,
              ),
            },
            to,
          ),
        );
      }
    }
    await store.apply({ outbox: rows, state: { [LAST_DAY_KEY]: day } });
    logger.info({ day, reports: rows.length, force }, 'daily report queued');
    this.deps.afterQueue();
    return { day, reports: rows.length };
  }
}
