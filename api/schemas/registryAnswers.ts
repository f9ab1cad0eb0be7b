/**
 * What the registry routes answer. Only the fields listed here leave the service: a secret's hash
 * or a token's value can never slip into an answer by being spread from a record.
 */
import { z } from 'zod';
import { ROLES, TOKEN_STATUSES, WORKER_ROLES } from '../../registry/schemas.ts';
import { isoTime, isoTimeOrNull } from './common.ts';

export const gridNodeAnswer = z.object({
  id: z.string(),
  name: z.string(),
  parentId: z.string().nullable(),
  level: z.string(),
  createdAt: isoTime,
});

export const workerAnswer = z.object({
  id: z.string(),
  name: z.string(),
  gridId: z.string(),
  role: z.enum(WORKER_ROLES),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  webhook: z
    .string()
    .nullable()
    .meta({ description: 'masked: scheme, host and the last 4 characters (the URL holds the robot key)' }),
  chatUserId: z.string().nullable().meta({
    description:
      "user id in the robot's chat app, for @-mentions (WeCom userid, DingTalk userId, Feishu open_id)",
  }),
  createdAt: isoTime,
});

export const householdAnswer = z.object({
  id: z.string(),
  gridId: z.string(),
  address: z.string().nullable().meta({ description: 'null once purged after the quarantine' }),
  contact: z.string().nullable(),
  createdAt: isoTime,
  purgedAt: isoTimeOrNull,
  armed: z.boolean(),
});

export const removedHouseholdAnswer = householdAnswer.extend({
  doorEventsDeleted: z.number().int(),
});

export const sensorAnswer = z.object({
  id: z.string(),
  householdId: z.string(),
  model: z.string(),
  friendlyName: z.string().nullable(),
  commissioning: z.boolean(),
  commissioningUntil: isoTimeOrNull,
  createdAt: isoTime,
});

/** The device secret is shown once, in the answer that creates the credential. */
const secret = z.string().meta({ description: 'the device secret, shown only in this answer' });

export const newSensorAnswer = sensorAnswer.extend({ secret });

export const gatewayAnswer = z.object({
  id: z.string(),
  name: z.string(),
  sensorIds: z.array(z.string()),
  createdAt: isoTime,
});

export const newGatewayAnswer = gatewayAnswer.extend({ secret });

export const auditAnswer = z.object({
  seq: z.number().int(),
  at: isoTime,
  actor: z.string(),
  entity: z.string(),
  id: z.string(),
  action: z.string(),
  gridId: z.string().nullable().meta({ description: 'the grid node whose subtree holds what changed' }),
  before: z.unknown().meta({ description: "the entity's public view before the change, or null" }),
  after: z.unknown().meta({ description: "the entity's public view after the change, or null" }),
});

export const quarantineAnswer = z.object({
  id: z.string(),
  householdId: z.string(),
  start: isoTime,
  end: isoTimeOrNull,
  createdAt: isoTime,
});

export const windowAnswer = z.object({
  id: z.string(),
  gridId: z.string().nullable(),
  householdId: z.string().nullable(),
  start: isoTime,
  end: isoTime,
  reason: z.string(),
  by: z.string(),
  createdAt: isoTime,
});

export const scheduleAnswer = z.object({
  quarantines: z.array(quarantineAnswer),
  windows: z.array(windowAnswer),
});

export const tokenAnswer = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  gridId: z.string().nullable(),
  status: z.enum(TOKEN_STATUSES),
  createdAt: isoTime,
  expiresAt: isoTimeOrNull,
  revokedAt: isoTimeOrNull,
  current: z.boolean().meta({ description: 'the token of this request: revoking it ends your own access' }),
});

export const userAnswer = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  gridId: z.string().nullable(),
  workerId: z.string().nullable(),
  createdAt: isoTime,
  disabled: z.boolean(),
  disabledAt: isoTimeOrNull,
  current: z.boolean().meta({ description: 'the person making this request' }),
});

export const newTokenAnswer = tokenAnswer.extend({
  token: z.string().meta({ description: 'the token itself, shown only in this answer' }),
});

export const meAnswer = z.object({
  /** Who acts, as histories record it: the user name, or the token's name. */
  name: z.string(),
  kind: z
    .enum(['user', 'token'])
    .meta({ description: 'a person signed in with the cookie, or an API token' }),
  role: z.enum(ROLES),
  gridId: z.string().nullable(),
  gridName: z.string().nullable(),
  username: z.string().optional(),
  userId: z.string().optional(),
  workerId: z.string().nullable().optional(),
  csrfToken: z
    .string()
    .optional()
    .meta({ description: 'a person only: send it as x-csrf-token with every state-changing call' }),
});

export const importAnswer = z.object({
  entity: z.string(),
  imported: z.number().int(),
  secrets: z
    .array(z.object({ sensorId: z.string(), secret: z.string() }))
    .optional()
    .meta({ description: "sensors only: each new sensor's device secret, shown only in this answer" }),
});
