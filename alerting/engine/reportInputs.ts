import type { Logger } from 'pino';
import { activeQuarantine } from '../../registry/arming.ts';
import type { AlertHistory, AlertStore } from '../alertStore.ts';
import type { ReportInput } from '../dailyReport.ts';
import type { Locale } from '../notificationTexts.ts';
import type { AlertEngine } from './alertEngine.ts';
import type { AlertingRegistry } from './ports.ts';

/** What the daily report's jobs (e-mail, archive) are built with. */
export interface ReportJobDeps {
  engine: AlertEngine;
  store: AlertStore;
  registry: AlertingRegistry;
  locale: Locale;
  tz: string;
  now: () => number;
  logger: Logger;
  /** Wakes the outbox's dispatcher after messages were queued. */
  afterQueue: () => void;
}

/**
 * What a daily report is computed from, for [from, to): the alerts opened then (from the store),
 * and the figures at a moment (sealed households, silent seals, alerts still open) as they are at
 * `now`. For a day already over, those moment figures are today's, only the alerts opened after
 * `to` left out: the archive keeps what they were when the scheduled run made the report.
 */
export async function reportInputs(
  deps: { engine: AlertEngine; store: AlertHistory; registry: AlertingRegistry },
  from: number,
  to: number,
  now: number,
): Promise<Omit<ReportInput, 'rootId'>> {
  const { engine, store, registry } = deps;
  const at = Math.min(to, now);
  const households = registry.allHouseholds().map((h) => {
    const inputs = registry.armingInputs(h.id);
    const quarantined = activeQuarantine(inputs, at) !== undefined;
    const live = registry
      .sensorsOf(h.id)
      .some((s) => s.commissioningUntil === null || at >= s.commissioningUntil);
    return { id: h.id, gridId: h.gridId, sealed: quarantined && live };
  });
  return {
    nodes: registry.tree.all(),
    households,
    alerts: await store.list({ openedFrom: from, openedTo: to }),
    // Without the rule's detail (it names the household's address): the report is kept and sent on,
    // beyond the reach of a household's privacy purge.
    stillOpen: engine
      .unresolved()
      .filter((a) => a.openedAt < to)
      .map(({ detail: _detail, ...alert }) => alert),
    offlineSensors: engine.offlineNow(now).filter((s) => s.since < to),
    from,
    to,
  };
}
