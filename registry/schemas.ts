/**
 * The registry's records and the API bodies that create them. One zod schema
 * per body is the single source of parsing, TypeScript types and OpenAPI.
 */
import { z } from 'zod';
import { sensorIdSchema } from '../contract/topics.ts';
import { MASK } from './webhookMask.ts';

export const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'ids are 1–64 characters of A–Z, a–z, 0–9, _ . : -');

/**
 * Free text people type (names, addresses, reasons, notes): no NUL or other control characters
 * (tab and line breaks only where `multiline`), and no lone UTF-16 surrogates, which no encoder
 * can write out as UTF-8 (the database, CSV exports and notifications would each mangle them).
 */
export function plainText(max: number, { min = 1, multiline = false } = {}) {
  const allowed = multiline ? new Set([0x09, 0x0a, 0x0d]) : new Set<number>();
  const hasControl = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if ((c < 0x20 || c === 0x7f) && !allowed.has(c)) return true;
    }
    return false;
  };
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((text) => !hasControl(text), { message: 'must not contain NUL or other control characters' })
    .refine((text) => !/\p{Cs}/u.test(text), {
      message: 'must be valid Unicode text (it holds a lone UTF-16 surrogate)',
    });
}

/** A domain label may not start or end with a hyphen (RFC 1035); zod's email() lets `a@b-.cn` through. */
export const emailSchema = z
  .email()
  .refine(
    (address) =>
      (address.split('@')[1] ?? '').split('.').every((l) => !l.startsWith('-') && !l.endsWith('-')),
    {
      message: 'the domain has a label that starts or ends with a hyphen',
    },
  );

/** RFC 3339 (ISO 8601 with seconds and an offset or Z), parsed to epoch ms. */
export const isoTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 time with offset, e.g. 2026-11-23T08:00:00+08:00' })
  .transform((text) => Date.parse(text));

const SCHEDULE_FROM = Date.UTC(2000, 0, 1);
const SCHEDULE_TO = Date.UTC(2100, 0, 1);
/**
 * A time in a schedule (quarantines, windows, announcements): RFC 3339 within 2000–2099. Anything
 * else is a typo (0000, 9999) that would arm or disarm a household for ever.
 */
export const scheduleTime = isoTime.refine((ms) => ms >= SCHEDULE_FROM && ms < SCHEDULE_TO, {
  message: 'must lie between 2000-01-01 and 2099-12-31',
});
export const SCHEDULE_END = SCHEDULE_TO;

export const ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;
export type Role = (typeof ROLES)[number];

const gridNodeFields = {
  id: idSchema,
  name: plainText(200),
  parentId: idSchema.nullable(),
  level: plainText(50),
};

/** A node that is its own parent would make every walk of the tree endless: refused here. */
export const createGridNodeBody = z.object(gridNodeFields).refine((n) => n.parentId !== n.id, {
  message: 'a grid node cannot be its own parent',
  path: ['parentId'],
});
export type CreateGridNode = z.infer<typeof createGridNodeBody>;

export const WORKER_ROLES = ['worker', 'leader', 'technician'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

const workerFields = {
  name: plainText(200),
  gridId: idSchema,
  /** Technicians receive maintenance and outage alerts (安装/运维). */
  role: z.enum(WORKER_ROLES),
  email: emailSchema,
  phone: z
    .string()
    .regex(/^\+?[0-9 -]{5,20}$/, 'phone numbers are digits, spaces and dashes, optionally starting with +'),
  webhook: z
    .url({ protocol: /^https?$/ })
    // Answers and exports show webhooks masked; one copied back would silently break delivery.
    .refine((u) => !u.includes(MASK) && !u.toLowerCase().includes('%e2%80%a6'), {
      message:
        'is a masked webhook as answers and exports show it: give the full URL, or leave it out to keep the stored one',
    }),
  /**
   * The worker's user id in the chat app of its robot, for @-mentions (issue 17.6): a WeCom userid,
   * a DingTalk userId or a Feishu open_id (ou_…). Letters, digits and `_.@-` only, so it can go into
   * the robots' markup (`<@id>`, `<at id=…>`) as it is.
   */
  chatUserId: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'chat user ids are 1–64 letters, digits, _ . @ -'),
};

export const createWorkerBody = z.object({
  id: idSchema,
  ...workerFields,
  email: workerFields.email.optional(),
  phone: workerFields.phone.optional(),
  webhook: workerFields.webhook.optional(),
  chatUserId: workerFields.chatUserId.optional(),
});
export type CreateWorker = z.infer<typeof createWorkerBody>;

export const createHouseholdBody = z.object({
  id: idSchema,
  gridId: idSchema,
  address: plainText(500),
  contact: plainText(200, { min: 0 }).optional(),
});
export type CreateHousehold = z.infer<typeof createHouseholdBody>;

export const createSensorBody = z.object({
  id: sensorIdSchema,
  householdId: idSchema,
  model: plainText(64).optional(),
  friendlyName: plainText(128).optional(),
});
export type CreateSensor = z.infer<typeof createSensorBody>;

export const createGatewayBody = z.object({
  id: sensorIdSchema,
  name: plainText(200),
  sensorIds: z.array(sensorIdSchema).max(10_000),
});
export type CreateGateway = z.infer<typeof createGatewayBody>;

export const updateGatewayBody = z
  .object({ name: plainText(200).optional(), sensorIds: z.array(sensorIdSchema).max(10_000).optional() })
  .strict()
  .refine((g) => g.name !== undefined || g.sensorIds !== undefined, {
    message: 'give name or sensorIds (or both)',
  });
export type UpdateGateway = z.infer<typeof updateGatewayBody>;

export const createQuarantineBody = z
  .object({ householdId: idSchema, start: scheduleTime, end: scheduleTime.optional() })
  .refine((q) => q.end === undefined || q.end > q.start, {
    message: 'end must be after start',
    path: ['end'],
  });
export type CreateQuarantine = z.infer<typeof createQuarantineBody>;

export const endQuarantineBody = z.object({ end: scheduleTime });

export const createWindowBody = z
  .object({
    gridId: idSchema.optional(),
    householdId: idSchema.optional(),
    start: scheduleTime,
    end: scheduleTime,
    reason: plainText(200),
    by: plainText(200),
  })
  .refine((w) => (w.gridId === undefined) !== (w.householdId === undefined), {
    message: 'give exactly one of gridId or householdId',
  })
  .refine((w) => w.end > w.start, { message: 'end must be after start', path: ['end'] });
export type CreateWindow = z.infer<typeof createWindowBody>;

// ---- updates (PATCH): only the fields given change; null clears an optional field. Unknown keys
// (a typo, or an id, which never changes) are refused rather than silently ignored.

const atLeastOneField = [
  (body: object) => Object.keys(body).length > 0,
  { message: 'give at least one field to change' },
] as const;

export const updateGridNodeBody = z
  .strictObject({
    name: gridNodeFields.name,
    level: gridNodeFields.level,
    parentId: gridNodeFields.parentId,
  })
  .partial()
  .refine(...atLeastOneField);
export type UpdateGridNode = z.infer<typeof updateGridNodeBody>;

export const updateWorkerBody = z
  .strictObject({
    ...workerFields,
    email: workerFields.email.nullable(),
    phone: workerFields.phone.nullable(),
    webhook: workerFields.webhook.nullable(),
    chatUserId: workerFields.chatUserId.nullable(),
  })
  .partial()
  .refine(...atLeastOneField);
export type UpdateWorker = z.infer<typeof updateWorkerBody>;

export const updateHouseholdBody = z
  .strictObject({
    gridId: idSchema,
    address: createHouseholdBody.shape.address,
    contact: plainText(200, { min: 0 }).nullable(),
  })
  .partial()
  .refine(...atLeastOneField);
export type UpdateHousehold = z.infer<typeof updateHouseholdBody>;

/** A sensor moves to another household by removing it and registering it again (a new secret). */
export const updateSensorBody = z
  .strictObject({
    model: plainText(64),
    friendlyName: plainText(128).nullable(),
  })
  .partial()
  .refine(...atLeastOneField);
export type UpdateSensor = z.infer<typeof updateSensorBody>;

/**
 * POST /api/sensors/:id/replace: the seal that takes over the door. Model and friendly name are
 * the old sensor's unless given (null clears the friendly name).
 */
export const replaceSensorBody = z.strictObject({
  newId: sensorIdSchema,
  model: plainText(64).optional(),
  friendlyName: plainText(128).nullable().optional(),
});
export type ReplaceSensor = z.infer<typeof replaceSensorBody>;

export const createTokenBody = z.object({
  role: z.enum(ROLES),
  gridId: idSchema.nullable(),
  name: plainText(200),
  /** RFC 3339; must lie in the future (checked against the clock by the registry). Absent: never expires. */
  expiresAt: isoTime.optional(),
});
export type CreateToken = z.infer<typeof createTokenBody>;

export interface GridNode {
  id: string;
  name: string;
  parentId: string | null;
  level: string;
  createdAt: number;
}

export interface Worker {
  id: string;
  name: string;
  gridId: string;
  role: WorkerRole;
  email: string | null;
  phone: string | null;
  webhook: string | null;
  /** For @-mentions in robot messages: WeCom userid, DingTalk userId or Feishu open_id. */
  chatUserId: string | null;
  createdAt: number;
}

export interface Household {
  id: string;
  gridId: string;
  address: string | null;
  contact: string | null;
  createdAt: number;
  purgedAt: number | null;
}

export interface Sensor {
  id: string;
  householdId: string;
  model: string;
  friendlyName: string | null;
  commissioningUntil: number | null;
  createdAt: number;
}

export interface Gateway {
  id: string;
  name: string;
  sensorIds: string[];
  createdAt: number;
}

export interface Quarantine {
  id: string;
  householdId: string;
  start: number;
  end: number | null;
  createdAt: number;
}

export interface Window {
  id: string;
  gridId: string | null;
  householdId: string | null;
  start: number;
  end: number;
  reason: string;
  by: string;
  createdAt: number;
}

export interface Token {
  id: string;
  name: string;
  role: Role;
  gridId: string | null;
  createdAt: number;
  revokedAt: number | null;
  /** From then on the token answers 401 and is refused at MQTT CONNECT; null: never. */
  expiresAt: number | null;
}

export const TOKEN_STATUSES = ['active', 'revoked', 'expired'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

export function tokenStatus(token: Token, now: number): TokenStatus {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired';
  return 'active';
}
