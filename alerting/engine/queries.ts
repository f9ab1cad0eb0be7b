import { notFound } from '../../core/errors.ts';
import type { AlertType } from '../alertModel.ts';
import type { StoredAlert } from '../alertStore.ts';
import { alertTitle } from '../notificationTexts.ts';
import { type AlertView, alertView, changeView, deliveryView } from './alertView.ts';
import type { EngineContext } from './engineContext.ts';

type AlertFilter = { status?: StoredAlert['status']; type?: AlertType };

/**
 * What the API and the pages ask of alerting. Unresolved alerts come from memory; the history
 * (resolved alerts, changes, deliveries) from the store, read only as far as the answer needs.
 */
export class AlertQueries {
  constructor(private readonly c: EngineContext) {}

  async getAlert(id: string): Promise<StoredAlert> {
    const a = this.c.memory.byId.get(id) ?? (await this.c.o.store.get(id));
    if (!a) throw notFound('alert', id);
    return a;
  }

  listAlerts(query: AlertFilter): Promise<StoredAlert[]> {
    return this.alertsPage(query, () => true, 0, Number.POSITIVE_INFINITY);
  }

  /** One page of the alerts `accept` lets through (the caller's scope), newest first. */
  async alertsPage(
    query: AlertFilter,
    accept: (a: StoredAlert) => boolean,
    offset: number,
    limit: number,
  ): Promise<StoredAlert[]> {
    const page: StoredAlert[] = [];
    let skipped = 0;
    const take = (a: StoredAlert): boolean => {
      if (page.length >= limit) return false;
      if (!accept(a)) return true;
      if (skipped < offset) skipped++;
      else page.push(a);
      return true;
    };
    if (query.status === 'open' || query.status === 'acknowledged') {
      const unresolved = [...this.c.memory.byId.values()]
        .filter((a) => a.status === query.status && (!query.type || a.type === query.type))
        .sort((a, b) => b.openedAt - a.openedAt);
      for (const a of unresolved) if (!take(a)) break;
      return page;
    }
    for await (const a of this.c.o.store.iterate(query)) if (!take(a)) break;
    return page;
  }

  /** Alerts opened in [from, to), the resolved ones too (time to acknowledge today), newest first. */
  openedBetween(from: number, to: number): Promise<StoredAlert[]> {
    return this.c.o.store.list({ openedFrom: from, openedTo: to });
  }

  async detail(id: string) {
    const a = await this.getAlert(id);
    const [changes, deliveries] = await Promise.all([
      this.c.o.store.changes(id),
      this.c.o.store.deliveries(id),
    ]);
    return { ...this.view(a), history: changes.map(changeView), deliveries: deliveries.map(deliveryView) };
  }

  nonceUsed(nonce: string): Promise<boolean> {
    return this.c.o.store.nonceUsed(nonce);
  }

  view(a: StoredAlert): AlertView {
    return alertView(a, { address: this.addressOf(a), gridPath: this.c.org.pathNames(a.gridId) });
  }

  title(a: StoredAlert): string {
    return alertTitle(this.c.o.locale, a.type, a.detail);
  }

  gridPathNames(gridId: string): string[] {
    return this.c.org.pathNames(gridId);
  }

  addressOf(a: { householdId?: string | undefined }): string | null {
    return a.householdId ? (this.c.o.registry.household(a.householdId)?.address ?? null) : null;
  }

  unresolved(): StoredAlert[] {
    return [...this.c.memory.byId.values()];
  }
}
