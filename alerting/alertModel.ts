import type { SealState as CoreSealState } from '../core/sealState.ts';

/**
 * The alerting vocabulary shared by the rules, the engine (phase 2), the store and the API.
 * Everything here is plain data: times are epoch milliseconds, ids are strings.
 */

export type AlertType =
  | 'breach'
  | 'offline'
  | 'tamper'
  | 'lowBattery'
  | 'outage'
  | 'openCount'
  | 'doorLeftOpen';
export const ALERT_TYPES: readonly AlertType[] = [
  'breach',
  'offline',
  'tamper',
  'lowBattery',
  'outage',
  'openCount',
  'doorLeftOpen',
];

/** `critical` pages people now; `warning` is urgent but not a violation; `maintenance` is for technicians. */
export type Severity = 'critical' | 'warning' | 'maintenance';

export const SEVERITY_OF: Readonly<Record<AlertType, Severity>> = {
  breach: 'critical',
  tamper: 'critical',
  outage: 'critical',
  offline: 'warning',
  openCount: 'warning',
  // Not a violation by itself (the opening was allowed), but urgent: routed and escalated like a breach.
  doorLeftOpen: 'warning',
  lowBattery: 'maintenance',
};

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';
export type Outcome = 'visited' | 'falseAlarm' | 'violationConfirmed' | 'sensorFault';
export const OUTCOMES: readonly Outcome[] = ['visited', 'falseAlarm', 'violationConfirmed', 'sensorFault'];

/** Why the system closed an alert by itself (no human outcome). */
export type AutoResolveReason =
  | 'backOnline'
  | 'batteryReplaced'
  | 'doorClosed'
  | 'outageOver'
  | 'sensorRemoved'
  | 'sensorReplaced';

export interface Alert {
  id: string;
  type: AlertType;
  sensorId?: string;
  householdId?: string;
  /** Household's leaf node for sensor alerts; the node itself for outages. */
  gridId: string;
  severity: Severity;
  status: AlertStatus;
  /** Worker id currently responsible; null when nobody could be routed. */
  assignee: string | null;
  openedAt: number;
  ackedAt?: number;
  ackedBy?: string;
  resolvedAt?: number;
  resolvedBy?: string;
  outcome?: Outcome;
  autoResolveReason?: AutoResolveReason;
  note?: string;
  /** Number of occurrences aggregated into this alert (opens, tamper events, …); 1 at creation. */
  count: number;
  /** 0 = the responsible worker; k = the k-th step up the escalation chain. */
  escalationLevel: number;
  /** Next escalation deadline; absent once acknowledged/resolved or at the top of the chain. */
  nextEscalationAt?: number;
}

export type AlertChangeKind =
  | 'opened'
  | 'updated'
  | 'notified'
  | 'escalated'
  | 'acknowledged'
  | 'resolved'
  /** A person gave the alert to another worker (detail: from, to). */
  | 'assigned'
  /** A person's note on the alert (detail: note). */
  | 'commented';

export interface AlertChange {
  alertId: string;
  kind: AlertChangeKind;
  at: number;
  /** 'system' for rule decisions, a worker/token id for people. */
  actor: string;
  detail: Record<string, unknown>;
}

/**
 * The key of "one active instance per sensor (or node) and type": unique among unresolved alerts.
 * A gateway's outage (rules/gatewayOutage.ts) is one per gateway, named in its detail.
 */
export function alertSubjectKey(a: {
  type: AlertType;
  sensorId?: string | undefined;
  householdId?: string | undefined;
  gridId: string;
  detail?: Record<string, unknown>;
}): string {
  if (a.type === 'outage') {
    const gatewayId = gatewayOf(a);
    return gatewayId === undefined ? `grid:${a.gridId}` : `gateway:${gatewayId}`;
  }
  if (a.type === 'openCount') return `household:${a.householdId ?? ''}`;
  return `sensor:${a.sensorId ?? ''}`;
}

/** The gateway a gateway outage is about (kept in its detail); undefined for any other alert. */
export function gatewayOf(a: { type: AlertType; detail?: Record<string, unknown> }): string | undefined {
  const id = a.type === 'outage' ? a.detail?.gatewayId : undefined;
  return typeof id === 'string' ? id : undefined;
}

export interface Policy {
  /** Seconds an open while armed waits before the breach is raised (0 = at once). */
  graceSeconds: number;
  /** Default span of an announced opening. */
  announceMinutes: number;
  /** Opens per local day per household before an `openCount` alert. */
  maxOpensPerDay: number;
  heartbeatIntervalMs: number;
  missedBeats: number;
  /** Battery below this (percent) raises `lowBattery`. */
  lowBatteryPct: number;
  /**
   * A reading above this (percent) after the battery was low means it was replaced: re-arms
   * `lowBattery` (issue 16.5: "a jump from under the threshold to above 90 %").
   */
  batteryReplacedPct: number;
  /** A door still open this long after its announced opening or window ended raises `doorLeftOpen`. */
  doorOpenLimitMs: number;
  /** Outage: minimum silent sensors under one node. */
  outageMinSensors: number;
  /** Outage: minimum fraction of the node's monitored sensors that are silent. */
  outageMinFraction: number;
}

export const DEFAULT_POLICY: Readonly<Policy> = {
  graceSeconds: 0,
  announceMinutes: 10,
  maxOpensPerDay: 5,
  heartbeatIntervalMs: 60_000,
  missedBeats: 3,
  lowBatteryPct: 20,
  batteryReplacedPct: 90,
  doorOpenLimitMs: 10 * 60_000,
  outageMinSensors: 5,
  outageMinFraction: 0.5,
};

export interface Clock {
  now(): number;
}

/**
 * What the rules read of a seal: the live state ingest keeps (core/sealState.ts, passed as is — the
 * `before` of a `seal.committed` event fits) plus two alerting-owned facts the engine adds.
 */
export type SealState = Pick<
  CoreSealState,
  'sensorId' | 'door' | 'lastDoorChange' | 'online' | 'lastSeen' | 'battery' | 'tamper'
> & {
  /** Set when `lowBattery` was raised for the current battery; cleared when a replacement is seen. */
  lowBatteryNotified: boolean;
  /** Commissioning ends by itself at this time; null when not in commissioning (registry's sensor). */
  commissioningUntil: number | null;
};

export interface Quarantine {
  householdId: string;
  start: number;
  /** null = open-ended. */
  end: number | null;
}

/** An authorized window: for a grid node (and its whole subtree) or for one household. */
export interface ArmingWindow {
  id?: string;
  /** Set for a grid-node window (null/absent otherwise); registry rows fit as they are. */
  gridId?: string | null | undefined;
  householdId?: string | null | undefined;
  start: number;
  end: number;
  reason: string;
  by: string;
}

export interface Announcement {
  id?: string | undefined;
  householdId: string;
  start: number;
  end: number;
  reason: string;
}

/** A household with the ids of its grid path, root first, leaf last. */
export interface HouseholdRef {
  id: string;
  gridId: string;
  gridPath: readonly string[];
}

/** An alert to create; the store assigns the id and routing fills `assignee`. */
export interface NewAlert {
  type: AlertType;
  severity: Severity;
  sensorId?: string;
  householdId?: string;
  gridId: string;
  openedAt: number;
  detail: Record<string, unknown>;
}

/**
 * What a rule asks the engine to do. The engine applies a list of these in one transaction:
 * `raise` → alerts + alert_changes('opened') + outbox; `append` → count+1 + alert_changes('updated');
 * `resolve` → status resolved + alert_changes('resolved'); the others only touch seal state / logs.
 */
export type Decision =
  | { kind: 'raise'; alert: NewAlert }
  | { kind: 'append'; alertId: string; at: number; detail: Record<string, unknown> }
  | {
      kind: 'resolve';
      alertId: string;
      at: number;
      reason: AutoResolveReason;
      detail: Record<string, unknown>;
    }
  | { kind: 'pendingBreach'; sensorId: string; householdId: string; openedAt: number; dueAt: number }
  | {
      kind: 'logOpen';
      sensorId: string;
      householdId: string;
      at: number;
      why: 'announced' | 'window' | 'notQuarantined';
    }
  | { kind: 'setLowBatteryNotified'; sensorId: string; value: boolean };

/** The active (unresolved) alert of one type for the subject being evaluated, if any. */
export type ActiveAlertRef = Pick<Alert, 'id' | 'status' | 'count'> | null;
