import { z } from 'zod';
import type { StoredAlert } from '../../alerting/alertStore.ts';
import { covers } from '../../registry/arming.ts';
import type { Household, Quarantine } from '../../registry/schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { householdInScope, householdsInScope } from '../householdScope.ts';
import { paginate } from '../paginate.ts';
import type { RouteTable } from '../routeTable.ts';
import { pageOf, pageQuery, pathParams } from '../schemas/common.ts';
import { householdStatusAnswer, timelineAnswer } from '../schemas/householdAnswers.ts';
import { announcementView, householdView, isoAt, quarantineView, sealView, windowView } from '../views.ts';

const ALL_ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;
const timelineQuery = z.object({
  limit: pageQuery(500, 100).shape.limit.meta({
    description: 'entries, newest first, 1 to 500 (default 100)',
  }),
});

/** Open alerts need someone now; acknowledged ones are being handled; the rest is calm. */
const urgency = (alerts: readonly StoredAlert[]): number =>
  alerts.some((a) => a.status === 'open') ? 0 : alerts.length > 0 ? 1 : 2;

/** The quarantine in force at `now`, else the next one to start. */
function currentOrNext(quarantines: readonly Quarantine[], now: number): Quarantine | null {
  const current = quarantines.find((q) => covers(q, now));
  if (current) return current;
  const next = quarantines.filter((q) => q.start > now).sort((a, b) => a.start - b.start)[0];
  return next ?? null;
}

/**
 * The grid worker's phone view (issue 18.3) reads two things: their households with everything
 * the list shows in one answer (a phone on foot has a slow link: one request, not one per
 * household), and one household's timeline, every kind of record merged newest first.
 */
export function householdTimelineRoutes(table: RouteTable, deps: ApiDeps): void {
  const { registry, seals, clock, alerting } = deps;
  const { engine } = alerting;

  table.add({
    method: 'GET',
    url: '/api/households/status',
    tag: 'live',
    summary:
      "Households in your scope, each with its seals' live state, its quarantine (in force or next) and its unresolved alerts; households with open alerts first (?gridId= for one subtree)",
    roles: ALL_ROLES,
    query: pageQuery(1000, 200).extend({
      gridId: z.string().optional().meta({ description: 'only households in this subtree' }),
    }),
    answer: pageOf(householdStatusAnswer),
    handler: async ({ principal, query }) => {
      const now = clock.now();
      const alertsOf = new Map<string, StoredAlert[]>();
      for (const a of engine.unresolved()) {
        if (a.householdId === undefined) continue;
        const list = alertsOf.get(a.householdId) ?? [];
        list.push(a);
        alertsOf.set(a.householdId, list);
      }
      for (const list of alertsOf.values())
        list.sort((a, b) => urgency([a]) - urgency([b]) || a.openedAt - b.openedAt);
      const households = householdsInScope(registry, principal, query.gridId);
      // Open alerts first, oldest first among them; then the acknowledged; then by address.
      const oldest = (h: Household) => alertsOf.get(h.id)?.[0]?.openedAt ?? Number.POSITIVE_INFINITY;
      households.sort(
        (a, b) =>
          urgency(alertsOf.get(a.id) ?? []) - urgency(alertsOf.get(b.id) ?? []) ||
          oldest(a) - oldest(b) ||
          (a.address ?? '').localeCompare(b.address ?? '', 'zh-CN') ||
          a.id.localeCompare(b.id),
      );
      return paginate(households, query, (h) => {
        const quarantine = currentOrNext(registry.armingInputs(h.id).quarantines, now);
        const announced = engine.announcementAt(h.id, now);
        return {
          household: householdView(h, registry.isArmed(h.id, now)),
          quarantine: quarantine ? quarantineView(quarantine) : null,
          announcement: announced ? announcementView(announced) : null,
          seals: registry
            .sensorsOf(h.id)
            .map((s) => sealView(registry, s, seals.state(s.id), now, engine.silences.of(s.id, now))),
          alerts: (alertsOf.get(h.id) ?? []).map((a) => engine.view(a)),
        };
      });
    },
  });

  table.add({
    method: 'GET',
    url: '/api/households/:householdId/timeline',
    tag: 'live',
    summary:
      "A household's timeline, newest first (?limit=): door events, alerts (resolved too), quarantines, the windows that apply to it (its own and its grid nodes') and announced openings",
    roles: ALL_ROLES,
    params: pathParams('householdId'),
    query: timelineQuery,
    answer: timelineAnswer,
    handler: async ({ params, principal, query }) => {
      const h = householdInScope(registry, principal, params.householdId);
      const { limit } = query;
      // The newest `limit` of each kind hold the newest `limit` of all of them.
      const [doors, alerts, announcements] = await Promise.all([
        deps.householdDoorHistory(h.id, limit),
        engine.householdAlerts(h.id, limit),
        engine.householdAnnouncements(h.id, limit),
      ]);
      // Windows of the nodes above the household apply to it: the worker must see why a door was
      // not armed, even when the window was set for the whole township above their node.
      const { quarantines, windows } = registry.armingInputs(h.id);
      const entries: Array<z.input<typeof timelineAnswer>['items'][number]> = [
        ...doors.map((door) => ({ at: door.ts, kind: 'door' as const, door })),
        ...alerts.map((a) => {
          const alert = engine.view(a);
          return { at: alert.openedAt, kind: 'alert' as const, alert };
        }),
        ...quarantines.map((q) => ({
          at: isoAt(q.start),
          kind: 'quarantine' as const,
          quarantine: quarantineView(q),
        })),
        ...windows.map((w) => ({ at: isoAt(w.start), kind: 'window' as const, window: windowView(w) })),
        ...announcements.map((a) => ({
          at: isoAt(a.start),
          kind: 'announcement' as const,
          announcement: announcementView(a),
        })),
      ];
      // ISO strings in UTC sort as their times do.
      entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
      return { householdId: h.id, items: entries.slice(0, limit) };
    },
  });
}
