import { randomUUID } from 'node:crypto';
import type {
  CreateGridNode,
  CreateHousehold,
  CreateQuarantine,
  CreateSensor,
  CreateWindow,
  CreateWorker,
  GridNode,
  Household,
  Quarantine,
  Window,
  Worker,
} from './schemas.ts';
import type { SensorRow } from './storedRecords.ts';

/**
 * From a validated API or CSV body to the stored record: one place decides
 * defaults, generated ids and creation times, for single creates and imports.
 */
export const DEFAULT_MODEL = 'generic';

export const newGridNode = (input: CreateGridNode, now: number): GridNode => ({ ...input, createdAt: now });

export const newWorker = (input: CreateWorker, now: number): Worker => ({
  id: input.id,
  name: input.name,
  gridId: input.gridId,
  role: input.role,
  email: input.email ?? null,
  phone: input.phone ?? null,
  webhook: input.webhook ?? null,
  chatUserId: input.chatUserId ?? null,
  createdAt: now,
});

export const newHousehold = (input: CreateHousehold, now: number): Household => ({
  id: input.id,
  gridId: input.gridId,
  address: input.address,
  contact: input.contact ?? null,
  createdAt: now,
  purgedAt: null,
});

export const newSensorRow = (input: CreateSensor, now: number, secretHash: string): SensorRow => ({
  id: input.id,
  householdId: input.householdId,
  model: input.model ?? DEFAULT_MODEL,
  friendlyName: input.friendlyName ?? null,
  commissioningUntil: null,
  createdAt: now,
  secretHash,
});

export const newQuarantine = (input: CreateQuarantine, now: number): Quarantine => ({
  id: randomUUID(),
  householdId: input.householdId,
  start: input.start,
  end: input.end ?? null,
  createdAt: now,
});

export const newWindow = (input: CreateWindow, now: number): Window => ({
  id: randomUUID(),
  gridId: input.gridId ?? null,
  householdId: input.householdId ?? null,
  start: input.start,
  end: input.end,
  reason: input.reason,
  by: input.by,
  createdAt: now,
});
