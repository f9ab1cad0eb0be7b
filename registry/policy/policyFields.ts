/**
 * The policy a grid node may set for everything below it (issue 16.4): the fields, their values in
 * memory (durations in ms), how people write them (durations as in the environment: `90s`, `5m`),
 * and the one zod schema the API and the CSV import check them with.
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from '../../core/duration.ts';
import { idSchema } from '../schemas.ts';

export const POLICY_FIELDS = [
  'breachGrace',
  'opensPerDay',
  'announceSpan',
  'doorOpenLimit',
  'escalateAfter',
  'lowBatteryPercent',
  'outageMinSilent',
  'outageFraction',
] as const;
export type PolicyField = (typeof POLICY_FIELDS)[number];

/** Every field's value: durations in ms, escalation steps in ms from the alert's opening. */
export interface PolicyValues {
  /** How long an open while armed waits before the breach is raised (0: at once). */
  breachGrace: number;
  /** Opens per local day per household before an `openCount` alert. */
  opensPerDay: number;
  /** How long an announced opening lasts. */
  announceSpan: number;
  /** A door still open this long after its announced opening or window ended raises `doorLeftOpen`. */
  doorOpenLimit: number;
  /** Unacknowledged time before each step up the grid, each counted from the opening, increasing. */
  escalateAfter: readonly number[];
  /** Battery below this (percent) raises `lowBattery`. */
  lowBatteryPercent: number;
  /** Outage: at least this many silent sensors under one node. */
  outageMinSilent: number;
  /** Outage: at least this fraction of the node's monitored sensors silent. */
  outageFraction: number;
}

/** The fields one node sets itself; the rest it inherits. */
export type PolicyOverrides = Partial<PolicyValues>;

/**
 * The highest low-battery threshold a node may set: above half full a battery is not low, and a
 * threshold near alerting's `batteryReplacedPct` (90 %: a new battery) would raise and re-arm the
 * alert on every report.
 */
export const MAX_LOW_BATTERY_PERCENT = 50;
/** A breach grace longer than this leaves a door open too long for a quarantine to mean anything. */
const MAX_BREACH_GRACE_MS = 60 * 60_000;
/** The API's own limit on an announced opening (`minutes` ≤ 24 h). */
const MAX_ANNOUNCE_SPAN_MS = 24 * 60 * 60_000;
/**
 * DOOR_OPEN_LIMIT's own bound: alerting keeps ended announcements this long to know when a door's
 * allowed opening ended (alerting/engine/announcements.ts).
 */
export const MAX_DOOR_OPEN_LIMIT_MS = 12 * 60 * 60_000;

/** Today's values when the environment says nothing (they were constants in alerting before 16.4). */
export const BUILT_IN_POLICY: Readonly<PolicyValues> = {
  breachGrace: 0,
  opensPerDay: 5,
  announceSpan: 10 * 60_000,
  doorOpenLimit: 10 * 60_000,
  escalateAfter: [5 * 60_000, 15 * 60_000, 30 * 60_000],
  lowBatteryPercent: 20,
  outageMinSilent: 5,
  outageFraction: 0.5,
};

const durationText = (what: string, { zero }: { zero: boolean }) =>
  z
    .string()
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === null || (!zero && ms === 0)) {
        ctx.addIssue({
          code: 'custom',
          message: `${what} is not a ${zero ? '' : 'positive '}duration like ${zero ? '0s, ' : ''}500ms, 90s, 5m or 2h`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ description: `${what}, written like the environment's durations: 500ms, 90s, 5m, 2h` });

/** Escalation steps: a non-empty list of increasing positive durations (ESCALATE_AFTER's rules). */
export const escalationSteps = z
  .array(z.string(), { message: 'escalateAfter must be a list of durations like ["5m","15m"]' })
  .min(1, 'escalateAfter must list at least one step (null removes the field)')
  .max(20, 'escalateAfter lists at most 20 steps')
  .transform((steps, ctx) => {
    const ms = steps.map((s) => parseDuration(s));
    const bad = ms.findIndex((x) => x === null || x <= 0);
    if (bad >= 0) {
      ctx.addIssue({
        code: 'custom',
        path: [bad],
        message: `escalateAfter step '${steps[bad]}' is not a positive duration like 90s, 5m or 2h`,
      });
      return z.NEVER;
    }
    const list = ms as number[];
    if (list.some((x, i) => i > 0 && x <= (list[i - 1] as number))) {
      ctx.addIssue({
        code: 'custom',
        message: 'escalateAfter must list increasing durations (each step counts from the alert)',
      });
      return z.NEVER;
    }
    return list;
  });

/** Each field's check; every value may also be null (PUT: removes the field from the node). */
const FIELD_SCHEMAS = {
  breachGrace: durationText('breachGrace', { zero: true }).refine((ms) => ms <= MAX_BREACH_GRACE_MS, {
    message: 'breachGrace is at most 1h',
  }),
  opensPerDay: z
    .number({ message: 'opensPerDay must be a whole number ≥ 0' })
    .int('opensPerDay must be a whole number ≥ 0')
    .min(0, 'opensPerDay must be a whole number ≥ 0')
    .max(1000, 'opensPerDay is at most 1000'),
  announceSpan: durationText('announceSpan', { zero: false }).refine((ms) => ms <= MAX_ANNOUNCE_SPAN_MS, {
    message: 'announceSpan is at most 24h',
  }),
  doorOpenLimit: durationText('doorOpenLimit', { zero: false }).refine((ms) => ms <= MAX_DOOR_OPEN_LIMIT_MS, {
    message: 'doorOpenLimit is at most 12h',
  }),
  escalateAfter: escalationSteps,
  lowBatteryPercent: z
    .number({ message: 'lowBatteryPercent must be a number of percent' })
    .gt(0, 'lowBatteryPercent must be above 0')
    .lt(
      MAX_LOW_BATTERY_PERCENT,
      `lowBatteryPercent must be below ${MAX_LOW_BATTERY_PERCENT} (a battery half full is not low)`,
    ),
  outageMinSilent: z
    .number({ message: 'outageMinSilent must be a whole number ≥ 1' })
    .int('outageMinSilent must be a whole number ≥ 1')
    .min(1, 'outageMinSilent must be a whole number ≥ 1'),
  outageFraction: z
    .number({ message: 'outageFraction must be a number in (0, 1]' })
    .gt(0, 'outageFraction must be in (0, 1]: above 0')
    .lte(1, 'outageFraction must be in (0, 1]: at most 1'),
} satisfies Record<PolicyField, z.ZodType>;

/**
 * PUT /api/grid/:id/policy: any subset of the fields; null removes one (the node inherits it
 * again). An unknown field is refused, so a typo never passes for a policy that is in force.
 */
export const gridPolicyBody = z.strictObject(
  Object.fromEntries(POLICY_FIELDS.map((f) => [f, FIELD_SCHEMAS[f].nullable().optional()])) as {
    [F in PolicyField]: z.ZodOptional<z.ZodNullable<(typeof FIELD_SCHEMAS)[F]>>;
  },
);
export type GridPolicyChange = { [F in PolicyField]?: PolicyValues[F] | null };

/** A CSV row (registry/csv): the node and the fields it sets; an empty cell is a field it does not set. */
export const gridPolicyRow = z.strictObject({
  gridId: idSchema,
  ...(Object.fromEntries(POLICY_FIELDS.map((f) => [f, FIELD_SCHEMAS[f].optional()])) as {
    [F in PolicyField]: z.ZodOptional<(typeof FIELD_SCHEMAS)[F]>;
  }),
});

/** The stored record of one node: what it sets, who set it last and when. */
export interface GridPolicy {
  gridId: string;
  fields: PolicyOverrides;
  updatedAt: number;
  updatedBy: string;
}

/** A value as people write it: durations as the environment writes them, lists as lists. */
export function writtenValue<F extends PolicyField>(
  field: F,
  value: PolicyValues[F],
): string | number | string[] {
  switch (field) {
    case 'breachGrace':
    case 'announceSpan':
    case 'doorOpenLimit':
      return value === 0 ? '0s' : formatDuration(value as number);
    case 'escalateAfter':
      return (value as readonly number[]).map(formatDuration);
    default:
      return value as number;
  }
}

/** The fields of a policy as people write them (the API's and the CSV's form). */
export function writtenPolicy(values: PolicyOverrides): Record<string, string | number | string[]> {
  const out: Record<string, string | number | string[]> = {};
  for (const f of POLICY_FIELDS) {
    const v = values[f];
    if (v !== undefined) out[f] = writtenValue(f, v as PolicyValues[typeof f]);
  }
  return out;
}
