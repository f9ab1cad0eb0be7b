/** What the roster, absence and duty routes answer. */
import { z } from 'zod';
import type { Absence, Roster } from '../../registry/duty/dutySchemas.ts';
import { isoAt } from '../views.ts';
import { isoTime, isoTimeOrNull } from './common.ts';

export const rosterAnswer = z.object({
  id: z.string(),
  gridId: z.string().meta({ description: 'the worker is on duty for this node and everything below it' }),
  workerId: z.string(),
  start: isoTime,
  end: isoTime,
  createdAt: isoTime,
});

export const absenceAnswer = z.object({
  id: z.string(),
  workerId: z.string(),
  substituteId: z.string().meta({ description: "who takes the absent worker's alerts" }),
  start: isoTime,
  end: isoTime,
  createdAt: isoTime,
});

export const rosterView = (r: Roster): z.input<typeof rosterAnswer> => ({
  id: r.id,
  gridId: r.gridId,
  workerId: r.workerId,
  start: isoAt(r.start),
  end: isoAt(r.end),
  createdAt: isoAt(r.createdAt),
});

export const absenceView = (a: Absence): z.input<typeof absenceAnswer> => ({
  id: a.id,
  workerId: a.workerId,
  substituteId: a.substituteId,
  start: isoAt(a.start),
  end: isoAt(a.end),
  createdAt: isoAt(a.createdAt),
});

const dutyPerson = z.object({
  id: z.string(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  coversFor: z
    .string()
    .nullable()
    .meta({ description: 'the absent worker this one stands in for (null: on their own account)' }),
  coversForName: z.string().nullable(),
});

export const dutyAnswer = z.object({
  gridId: z.string(),
  at: isoTime,
  source: z.enum(['roster', 'responsible', 'none']).meta({
    description: 'roster: a roster entry covers now; responsible: the worker placed at or above the node',
  }),
  assignee: dutyPerson
    .nullable()
    .meta({ description: 'who a household alert raised now would be assigned to' }),
  people: z
    .array(dutyPerson)
    .meta({ description: 'everyone a household alert raised now would reach first' }),
  until: isoTimeOrNull.meta({ description: 'when the roster entry in force ends (null: not by roster)' }),
  rosters: z.array(rosterAnswer).meta({ description: 'the roster entries in force now for this node' }),
});
