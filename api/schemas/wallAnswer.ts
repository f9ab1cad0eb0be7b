/** What GET /api/wall answers: the command room's wall (api/live/wallSummary.ts computes it). */
import { z } from 'zod';
import { ALERT_TYPES } from '../../alerting/alertModel.ts';
import { isoTime } from './common.ts';

const count = (description: string) => z.number().int().meta({ description });
const msOrNull = (description: string) => z.number().int().nullable().meta({ description });

const wallTile = z.object({
  id: z.string(),
  name: z.string(),
  level: z.string(),
  unacknowledged: count('alerts no person has acknowledged yet (maintenance alerts left out)'),
  acknowledged: count('acknowledged, not yet resolved (maintenance alerts left out)'),
  breaches: count('unresolved breach alerts, acknowledged or not'),
  offline: count('seals silent past their threshold'),
  armed: count('seals on armed households (under quarantine, no window now)'),
  doorsOpen: count('armed seals whose door is open now'),
});

const waitingAlert = z.object({
  id: z.string(),
  type: z.enum(ALERT_TYPES as readonly [string, ...string[]]),
  severity: z.enum(['critical', 'warning']),
  openedAt: isoTime,
  gridId: z.string(),
  gridPath: z.array(z.string()).meta({ description: 'names from the root down' }),
  address: z.string().nullable().meta({ description: "the household's address; null for a node's alert" }),
  assignee: z.string().nullable().meta({ description: 'the worker responsible now; null: nobody' }),
  assigneeName: z.string().nullable(),
  escalationLevel: count('0: the responsible worker; k: the k-th step up the escalation chain'),
  count: count('occurrences folded into the alert (opens, tamper events)'),
});

export const wallAnswer = z.object({
  rootId: z
    .string()
    .nullable()
    .meta({ description: 'the root of the wall: ?gridId or your scope; null: the whole grid' }),
  rootName: z.string().nullable(),
  generatedAt: isoTime,
  day: z.string().meta({ description: 'the local day (TZ_LOCAL) of "today", YYYY-MM-DD' }),
  dayStart: isoTime.meta({ description: 'local midnight that began it' }),
  timeZone: z.string(),
  tiles: z.array(wallTile).meta({
    description:
      "one per township below the root (grid level 'township'); without any, the root's children; counts for each tile's subtree",
  }),
  unacknowledged: count('alerts in scope waiting for a person (maintenance left out)'),
  waiting: z.array(waitingAlert).meta({
    description:
      "the longest-waiting unacknowledged alerts, oldest first (at most 5): the first is the wall's big box",
  }),
  timeToAck: z
    .object({
      count: count('alerts opened today that a person acknowledged (or resolved without acknowledging)'),
      medianMs: msOrNull('median time to acknowledge; null when none yet'),
      maxMs: msOrNull('the longest; null when none yet'),
    })
    .meta({
      description:
        "today's time to acknowledge in scope, as the daily report counts it (maintenance and self-resolved alerts left out)",
    }),
});
