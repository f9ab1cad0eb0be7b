/**
 * Who is on duty now for a grid node, as the live page shows it: the same routing alerting uses
 * for a household alert raised at this moment (alerting/routing.ts), with each person's reason
 * (on their own account, or standing in for someone away).
 */

import type { z } from 'zod';
import {
  coverFor,
  dutyLookupOf,
  initialRoute,
  OrgChart,
  responsibleWorker,
  type Worker,
} from '../alerting/routing.ts';
import type { Registry } from '../registry/registry.ts';
import type { dutyAnswer } from './schemas/dutyAnswers.ts';
import { rosterView } from './schemas/dutyAnswers.ts';
import { isoAt } from './views.ts';

type DutyPerson = z.input<typeof dutyAnswer>['people'][number];

const person = (w: Worker, coversFor: Worker): DutyPerson => ({
  id: w.id,
  name: w.name ?? null,
  phone: w.phone ?? null,
  coversFor: w.id === coversFor.id ? null : coversFor.id,
  coversForName: w.id === coversFor.id ? null : (coversFor.name ?? null),
});

export function dutyNow(registry: Registry, gridId: string, at: number): z.input<typeof dutyAnswer> {
  const org = new OrgChart(registry.tree, (id) => registry.workersAt(id), dutyLookupOf(registry));
  const rosters = registry.rostersInForce(gridId, at);
  const planned =
    rosters.length > 0 ? registry.onDutyAt(gridId, at) : responsibleWorker(org, gridId).recipients;
  const seen = new Set<string>();
  const people: DutyPerson[] = [];
  for (const w of planned) {
    const cover = coverFor(org, w, at);
    if (seen.has(cover.id)) continue;
    seen.add(cover.id);
    people.push(person(cover, w));
  }
  const route = initialRoute(org, { type: 'breach', gridId }, at);
  const assignee = route.assignee && (people.find((p) => p.id === route.assignee?.id) ?? null);
  return {
    gridId,
    at: isoAt(at),
    source: rosters.length > 0 ? 'roster' : route.assignee ? 'responsible' : 'none',
    assignee,
    people,
    until: rosters.length > 0 ? isoAt(Math.min(...rosters.map((r) => r.end))) : null,
    rosters: rosters.map(rosterView),
  };
}
