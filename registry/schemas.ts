/**
 * The registry's records and the API bodies that create them. One zod schema
 * per body is the single source of parsing, TypeScript types and OpenAPI.
 */
import { z } from 'zod';
import { sensorIdSchema } from '../broker/topics.ts';
import { MASK } from './webhookMask.ts';

export const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'ids are 1–64 characters of A–Z, a–z, 0–9, _ . : -');

/** ISO 8601 with an offset or Z, parsed to epoch ms. */
export const isoTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 time with offset, e.g. 2026-11-23T08:00:00+08:00' })
  .transform((text) => Date.parse(text));

export const ROLES = ['admin', 'monitor', 'worker', 'technician'] as const;
export type Role = (typeof ROLES)[number];

const gridNodeFields = {
  id: idSchema,
  name: z.string().trim().min(1).max(200),
  parentId: idSchema.nullable(),
  level: z.string().trim().min(1).max(50),
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
  name: z.string().trim().min(1).max(200),
  gridId: idSchema,
  /** Technicians receive maintenance and outage alerts (安装/运维). */
  role: z.enum(WORKER_ROLES),
  email: z.email(),
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
};

export const createWorkerBody = z.object({
  id: idSchema,
  ...workerFields,
  email: workerFields.email.optional(),
  phone: workerFields.phone.optional(),
  webhook: workerFields.webhook.optional(),
});
export type CreateWorker = z.infer<typeof createWorkerBody>;

export const createHouseholdBody = z.object({
  id: idSchema,
  gridId: idSchema,
  address: z.string().trim().min(1).max(500),
  contact: z.string().trim().max(200).optional(),
});
export type CreateHousehold = z.infer<typeof createHouseholdBody>;

export const createSensorBody = z.object({
  id: sensorIdSchema,
  householdId: idSchema,
  model: z.string().trim().min(1).max(64).optional(),
  friendlyName: z.string().trim().min(1).max(128).optional(),
});
export type CreateSensor = z.infer<typeof createSensorBody>;

export const createGatewayBody = z.object({
  id: sensorIdSchema,
  name: z.string().trim().min(1).max(200),
  sensorIds: z.array(sensorIdSchema).max(10_000),
});
export type CreateGateway = z.infer<typeof createGatewayBody>;

export const createQuarantineBody = z
  .object({ householdId: idSchema, start: isoTime, end: isoTime.optional() })
  .refine((q) => q.end === undefined || q.end > q.start, {
    message: 'end must be after start',
    path: ['end'],
  });
export type CreateQuarantine = z.infer<typeof createQuarantineBody>;

export const endQuarantineBody = z.object({ end: isoTime });

export const createWindowBody = z
  .object({
    gridId: idSchema.optional(),
    householdId: idSchema.optional(),
    start: isoTime,
    end: isoTime,
    reason: z.string().trim().min(1).max(200),
    by: z.string().trim().min(1).max(200),
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
  })
  .partial()
  .refine(...atLeastOneField);
export type UpdateWorker = z.infer<typeof updateWorkerBody>;

export const updateHouseholdBody = z
  .strictObject({
    gridId: idSchema,
    address: createHouseholdBody.shape.address,
    contact: z.string().trim().max(200).nullable(),
  })
  .partial()
  .refine(...atLeastOneField);
export type UpdateHousehold = z.infer<typeof updateHouseholdBody>;

/** A sensor moves to another household by removing it and registering it again (a new secret). */
export const updateSensorBody = z
  .strictObject({
    model: z.string().trim().min(1).max(64),
    friendlyName: z.string().trim().min(1).max(128).nullable(),
  })
  .partial()
  .refine(...atLeastOneField);
export type UpdateSensor = z.infer<typeof updateSensorBody>;

export const createTokenBody = z.object({
  role: z.enum(ROLES),
  gridId: idSchema.nullable(),
  name: z.string().trim().min(1).max(200),
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
