/** The API bodies of sensor models (POST /api/models, PATCH /api/models/:id). */

import { z } from 'zod';
import { MAX_DURATION_MS, parseDuration } from '../core/duration.ts';
import { MAX_LOW_BATTERY_PERCENT } from './policy/policyFields.ts';
import { idSchema, plainText } from './schemas.ts';

/** Written as in the environment (`90s`, `1h`, `18h`), at least a second, at most a week. */
const heartbeatInterval = z
  .string()
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms < 1_000) {
      ctx.addIssue({
        code: 'custom',
        message: `is not a duration from 1s to ${MAX_DURATION_MS / 86_400_000}d like 90s, 5m or 1h`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'how often the device reports when nothing happens, e.g. "1h"', example: '1h' });

const modelFields = {
  name: plainText(200),
  heartbeatInterval,
  missedHeartbeats: z.number().min(1).max(1000).meta({
    description:
      'interval × this = silence after which the seal is offline (may be fractional, e.g. 1.2 for a 20 % margin)',
  }),
  lowBatteryPercent: z
    .number()
    .int()
    .min(1)
    // The same cap as the policy's: a threshold near "above 90 % is a new battery" would raise and
    // re-arm the low-battery alert on every report.
    .lt(
      MAX_LOW_BATTERY_PERCENT,
      `lowBatteryPercent must be below ${MAX_LOW_BATTERY_PERCENT} (a battery half full is not low)`,
    )
    .nullable()
    .meta({ description: "null: the grid node's policy decides" }),
  heartbeatCarriesDoor: z.boolean().meta({ description: 'a heartbeat reports the door position' }),
};

export const createModelBody = z.strictObject({
  id: idSchema,
  name: modelFields.name.optional(),
  heartbeatInterval: modelFields.heartbeatInterval,
  missedHeartbeats: modelFields.missedHeartbeats.optional(),
  lowBatteryPercent: modelFields.lowBatteryPercent.optional(),
  heartbeatCarriesDoor: modelFields.heartbeatCarriesDoor.optional(),
});
export type CreateModel = z.infer<typeof createModelBody>;

export const updateModelBody = z
  .strictObject(modelFields)
  .partial()
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change' });
export type UpdateModel = z.infer<typeof updateModelBody>;
