/**
 * The channel plan (issue 17.3): which channels an alert goes out on, and when, per severity.
 * (In core because CHANNEL_PLAN is checked at start with every other variable, and the policy per
 * grid node (registry/policy) checks the same field with the same schema; alerting/channelPlan.ts
 * reads it.)
 *
 * As people write it (CHANNEL_PLAN as JSON, or the `channelPlan` field of a node's policy):
 *
 *   {"critical": [{"after": "0s", "channels": ["webhook", "sms", "email"]},
 *                 {"after": "2m", "channels": ["voice"], "ifUnacknowledged": true}],
 *    "warning":  [{"after": "0s", "channels": ["webhook"]}]}
 *
 * Each step counts from the alert's opening. A severity the plan does not list keeps the
 * environment's steps for it (CHANNEL_PLAN, else the built-in plan), so a node that changes only
 * what critical alerts do writes only `critical`. Leaders reached by escalation (ESCALATE_AFTER,
 * `escalateAfter`) get the severity's channels of the first step: who is told stays the escalation's job.
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.ts';

export const PLAN_CHANNELS = ['webhook', 'sms', 'email', 'voice'] as const;
export type PlanChannel = (typeof PLAN_CHANNELS)[number];
export const PLAN_SEVERITIES = ['critical', 'warning', 'maintenance'] as const;
export type PlanSeverity = (typeof PLAN_SEVERITIES)[number];

/** One step in memory: ms from the alert's opening. */
export interface ChannelStep {
  readonly afterMs: number;
  readonly channels: readonly PlanChannel[];
  /** Only if nobody has acknowledged (nor resolved) the alert by then. */
  readonly ifUnacknowledged: boolean;
}
export type ChannelPlan = Readonly<Partial<Record<PlanSeverity, readonly ChannelStep[]>>>;

const ALL_AT_ONCE: ChannelStep = {
  afterMs: 0,
  channels: ['webhook', 'sms', 'email'],
  ifUnacknowledged: false,
};

/**
 * Without CHANNEL_PLAN: every alert at once on robot, SMS and e-mail (what every alert got before
 * the plan existed), and a critical alert nobody acknowledged within 2 minutes as a voice call.
 * A channel that is off (no SMTP_URL, SMS_URL, VOICE_URL) or that a worker lacks is skipped.
 */
export const BUILT_IN_CHANNEL_PLAN: Required<ChannelPlan> = {
  critical: [ALL_AT_ONCE, { afterMs: 2 * 60_000, channels: ['voice'], ifUnacknowledged: true }],
  warning: [ALL_AT_ONCE],
  maintenance: [ALL_AT_ONCE],
};

/** Steps of one day at most: a later step would never come for most alerts. */
const MAX_AFTER_MS = 24 * 60 * 60_000;

const stepSchema = z.strictObject({
  after: z.string({ message: 'after must be a duration like "0s", "90s" or "2m"' }).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms > MAX_AFTER_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `after '${text}' is not a duration from 0s to 24h like 90s or 2m`,
      });
      return z.NEVER;
    }
    return ms;
  }),
  channels: z
    .array(z.enum(PLAN_CHANNELS, { message: `a channel is one of ${PLAN_CHANNELS.join(', ')}` }))
    .min(1, 'a step names at least one channel')
    .refine((c) => new Set(c).size === c.length, 'a step names each channel once'),
  ifUnacknowledged: z.boolean({ message: 'ifUnacknowledged is true or false' }).optional(),
});

const stepsSchema = z
  .array(stepSchema, { message: 'a severity has a list of steps' })
  .min(1, 'a severity lists at least one step')
  .max(10, 'a severity lists at most 10 steps')
  .superRefine((steps, ctx) => {
    for (let i = 1; i < steps.length; i++) {
      if ((steps[i]?.after ?? 0) <= (steps[i - 1]?.after ?? 0))
        ctx.addIssue({ code: 'custom', path: [i, 'after'], message: 'steps must come in increasing after' });
    }
  })
  .transform((steps): ChannelStep[] =>
    steps.map((s) => ({
      afterMs: s.after,
      channels: s.channels,
      ifUnacknowledged: s.ifUnacknowledged ?? false,
    })),
  );

/** A plan as written, checked and turned into ms; at least one severity. Also takes it as JSON text (CSV, env). */
export const channelPlanSchema = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z
    .strictObject(
      {
        critical: stepsSchema.optional(),
        warning: stepsSchema.optional(),
        maintenance: stepsSchema.optional(),
      },
      {
        error: (issue) =>
          issue.code === 'unrecognized_keys'
            ? `a channel plan names severities ${PLAN_SEVERITIES.join(', ')}, not ${issue.keys.join(', ')}`
            : `a channel plan is a JSON object with steps for ${PLAN_SEVERITIES.join(', ')}`,
      },
    )
    .refine(
      (p) => PLAN_SEVERITIES.some((s) => p[s] !== undefined),
      'a channel plan names at least one severity',
    )
    .transform((p): ChannelPlan => {
      const out: Partial<Record<PlanSeverity, readonly ChannelStep[]>> = {};
      for (const s of PLAN_SEVERITIES) if (p[s]) out[s] = p[s];
      return out;
    }),
);

/** The plan as people write it (the API's and the CSV's form). */
export function writtenChannelPlan(plan: ChannelPlan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of PLAN_SEVERITIES) {
    const steps = plan[s];
    if (!steps) continue;
    out[s] = steps.map((st) => ({
      after: st.afterMs === 0 ? '0s' : formatDuration(st.afterMs),
      channels: [...st.channels],
      ...(st.ifUnacknowledged ? { ifUnacknowledged: true } : {}),
    }));
  }
  return out;
}
