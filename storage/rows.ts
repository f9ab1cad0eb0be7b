/**
 * Database rows (snake_case columns) to registry records, shared by the SQLite and the PostgreSQL
 * store: the schemas name their columns alike. Booleans and the recent-seq list arrive as 0/1 and
 * JSON text from SQLite, as booleans and jsonb from PostgreSQL; both are read here (the recent-seq
 * list's encoding: dedupWindowText.ts).
 */
import type { DoorEventRecord, SealState } from '../core/sealState.ts';
import type { Absence, Roster } from '../registry/duty/dutySchemas.ts';
import type { PlatformAppRow } from '../registry/platformAppSchemas.ts';
import type { GridPolicy, PolicyOverrides } from '../registry/policy/policyFields.ts';
import type { GridNode, Household, Quarantine, Role, Token, Window, Worker } from '../registry/schemas.ts';
import type { SensorModel } from '../registry/sensorModels.ts';
import type { SensorRow, TokenRow } from '../registry/storedRecords.ts';
import { windowFromStored } from './dedupWindowText.ts';

export type Row = Record<string, unknown>;

export const gridNode = (r: Row): GridNode => ({
  id: r.id as string,
  name: r.name as string,
  parentId: (r.parent_id as string | null) ?? null,
  level: r.level as string,
  createdAt: r.created_at as number,
});

/** A node's policy: `fields` is JSON text in SQLite, jsonb in PostgreSQL; durations are ms. */
export const gridPolicy = (r: Row): GridPolicy => ({
  gridId: r.grid_id as string,
  fields: (typeof r.fields === 'string' ? JSON.parse(r.fields) : r.fields) as PolicyOverrides,
  updatedAt: r.updated_at as number,
  updatedBy: r.updated_by as string,
});

export const worker = (r: Row): Worker => ({
  id: r.id as string,
  name: r.name as string,
  gridId: r.grid_id as string,
  role: r.role as Worker['role'],
  email: (r.email as string | null) ?? null,
  phone: (r.phone as string | null) ?? null,
  webhook: (r.webhook as string | null) ?? null,
  chatUserId: (r.chat_user_id as string | null) ?? null,
  createdAt: r.created_at as number,
});

export const household = (r: Row): Household => ({
  id: r.id as string,
  gridId: r.grid_id as string,
  address: (r.address as string | null) ?? null,
  contact: (r.contact as string | null) ?? null,
  createdAt: r.created_at as number,
  purgedAt: (r.purged_at as number | null) ?? null,
});

export const sensor = (r: Row): SensorRow => ({
  id: r.id as string,
  householdId: r.household_id as string,
  model: r.model as string,
  friendlyName: (r.friendly_name as string | null) ?? null,
  commissioningUntil: (r.commissioning_until as number | null) ?? null,
  createdAt: r.created_at as number,
  secretHash: r.secret_hash as string,
});

/** A stored model; `builtIn` is decided by the registry's catalog, not stored. */
export const sensorModel = (r: Row): SensorModel => ({
  id: r.id as string,
  name: r.name as string,
  heartbeatIntervalMs: Number(r.heartbeat_interval_ms),
  missedHeartbeats: Number(r.missed_heartbeats),
  lowBatteryPercent: r.low_battery_percent === null ? null : Number(r.low_battery_percent),
  heartbeatCarriesDoor: r.heartbeat_carries_door === true || r.heartbeat_carries_door === 1,
  builtIn: false,
});

export const quarantine = (r: Row): Quarantine => ({
  id: r.id as string,
  householdId: r.household_id as string,
  start: r.start_at as number,
  end: (r.end_at as number | null) ?? null,
  createdAt: r.created_at as number,
});

export const window = (r: Row): Window => ({
  id: r.id as string,
  gridId: (r.grid_id as string | null) ?? null,
  householdId: (r.household_id as string | null) ?? null,
  start: r.start_at as number,
  end: r.end_at as number,
  reason: r.reason as string,
  by: r.by as string,
  createdAt: r.created_at as number,
});

/** A token without its hash: what lists and revocations answer. */
export const tokenRecord = (r: Row): Token => ({
  id: r.id as string,
  name: r.name as string,
  role: r.role as Role,
  gridId: (r.grid_id as string | null) ?? null,
  createdAt: r.created_at as number,
  revokedAt: (r.revoked_at as number | null) ?? null,
  expiresAt: (r.expires_at as number | null) ?? null,
});

export const token = (r: Row): TokenRow => ({ ...tokenRecord(r), tokenHash: r.token_hash as string });

/** The columns of a token but its hash, for reads that must never carry it. */
export const TOKEN_COLUMNS = 'id, name, role, grid_id, created_at, revoked_at, expires_at';

/**
 * The whole-grid admin tokens that keep the service administrable: active and never expiring.
 * Revoking the last of them is refused (TokenStore.revokeToken in registry/commands/tokenCommands.ts).
 */
export const KEEPER_ADMIN_TOKENS =
  "role = 'admin' AND grid_id IS NULL AND revoked_at IS NULL AND expires_at IS NULL";

export const sealState = (r: Row): SealState => ({
  sensorId: r.sensor_id as string,
  door: r.door as SealState['door'],
  online: r.online === true || r.online === 1,
  battery: (r.battery as number | null) ?? null,
  rssi: (r.rssi as number | null) ?? null,
  tamper: r.tamper === true || r.tamper === 1,
  lastSeen: (r.last_seen as number | null) ?? null,
  lastDoorChange: (r.last_door_change as number | null) ?? null,
  doorObservedAt: (r.door_observed_at as number | null) ?? null,
  recentSeqs: windowFromStored(r.recent_seqs),
  messages: r.messages as number,
  updatedAt: r.updated_at as number,
});

export const doorEvent = (r: Row): DoorEventRecord => ({
  sensorId: r.sensor_id as string,
  householdId: r.household_id as string,
  type: r.type as DoorEventRecord['type'],
  ts: r.ts as number,
  receivedAt: r.received_at as number,
  seq: (r.seq as number | null) ?? null,
  dialect: r.dialect as string,
});

const jsonColumn = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

export const platformAppRow = (r: Row): PlatformAppRow => ({
  id: r.id as string,
  platform: r.platform as PlatformAppRow['platform'],
  name: r.name as string,
  token: r.token as string,
  sensorIds: jsonColumn<string[]>(r.sensor_ids),
  devices: jsonColumn<Record<string, string>>(r.devices),
  createdAt: r.created_at as number,
});

export const roster = (r: Row): Roster => ({
  id: r.id as string,
  gridId: r.grid_id as string,
  workerId: r.worker_id as string,
  start: Number(r.start_at),
  end: Number(r.end_at),
  createdAt: Number(r.created_at),
});

export const absence = (r: Row): Absence => ({
  id: r.id as string,
  workerId: r.worker_id as string,
  substituteId: r.substitute_id as string,
  start: Number(r.start_at),
  end: Number(r.end_at),
  createdAt: Number(r.created_at),
});
