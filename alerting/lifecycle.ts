import { conflict, invalid } from '../core/errors.ts';
import {
  type Alert,
  type AlertChange,
  type AutoResolveReason,
  type NewAlert,
  OUTCOMES,
  type Outcome,
} from './alertModel.ts';
import type { EscalationDecision } from './escalation.ts';

/**
 * The alert state machine, open → acknowledged → resolved, as pure functions: each returns the new
 * alert and the AlertChange to record with it (same transaction). Nothing is ever deleted.
 */

export interface Transition {
  alert: Alert;
  change: AlertChange;
}

export const SYSTEM_ACTOR = 'system';

export function createAlert(
  n: NewAlert,
  id: string,
  assignee: string | null,
  nextEscalationAt: number | null,
): Transition {
  const alert: Alert = {
    id,
    type: n.type,
    gridId: n.gridId,
    severity: n.severity,
    status: 'open',
    assignee,
    openedAt: n.openedAt,
    count: 1,
    escalationLevel: 0,
    ...(n.sensorId !== undefined ? { sensorId: n.sensorId } : {}),
    ...(n.householdId !== undefined ? { householdId: n.householdId } : {}),
    ...(nextEscalationAt !== null ? { nextEscalationAt } : {}),
  };
  return {
    alert,
    change: { alertId: id, kind: 'opened', at: n.openedAt, actor: SYSTEM_ACTOR, detail: n.detail },
  };
}

/** Another occurrence (open, tamper, …) folded into an unresolved alert. */
export function appendOccurrence(alert: Alert, at: number, detail: Record<string, unknown>): Transition {
  const next = { ...alert, count: alert.count + 1 };
  return {
    alert: next,
    change: {
      alertId: alert.id,
      kind: 'updated',
      at,
      actor: SYSTEM_ACTOR,
      detail: { ...detail, count: next.count },
    },
  };
}

/**
 * Acknowledge: stops escalation. Acknowledging an acknowledged alert is a no-op (`change: null`: a
 * double tap on the link, two workers at once); a resolved alert cannot be acknowledged.
 */
export function acknowledge(
  alert: Alert,
  actor: string,
  at: number,
  note?: string,
): { alert: Alert; change: AlertChange | null } {
  if (alert.status === 'resolved')
    throw conflict(`alert '${alert.id}' is already resolved`, { alertId: alert.id });
  if (alert.status === 'acknowledged') return { alert, change: null };
  const { nextEscalationAt: _stop, ...rest } = alert;
  const next: Alert = { ...rest, status: 'acknowledged', ackedAt: at, ackedBy: actor };
  const detail: Record<string, unknown> = note ? { note } : {};
  return { alert: next, change: { alertId: alert.id, kind: 'acknowledged', at, actor, detail } };
}

/** Resolve by a person: needs an outcome and a non-empty note. Works from open or acknowledged. */
export function resolve(
  alert: Alert,
  input: { outcome: string; note: string },
  actor: string,
  at: number,
): Transition {
  if (alert.status === 'resolved')
    throw conflict(`alert '${alert.id}' is already resolved`, { alertId: alert.id });
  if (!(OUTCOMES as readonly string[]).includes(input.outcome)) {
    throw invalid(`outcome must be one of ${OUTCOMES.join(', ')}`, { outcome: input.outcome });
  }
  const note = input.note.trim();
  if (note.length === 0) throw invalid('resolving an alert needs a note', { field: 'note' });
  const { nextEscalationAt: _stop, ...rest } = alert;
  const next: Alert = {
    ...rest,
    status: 'resolved',
    resolvedAt: at,
    resolvedBy: actor,
    outcome: input.outcome as Outcome,
    note,
  };
  return {
    alert: next,
    change: { alertId: alert.id, kind: 'resolved', at, actor, detail: { outcome: input.outcome, note } },
  };
}

/** The system closes an alert whose cause went away (back online, battery replaced, outage over). */
export function autoResolve(
  alert: Alert,
  reason: AutoResolveReason,
  at: number,
  detail: Record<string, unknown> = {},
): Transition | null {
  if (alert.status === 'resolved') return null;
  const { nextEscalationAt: _stop, ...rest } = alert;
  const next: Alert = {
    ...rest,
    status: 'resolved',
    resolvedAt: at,
    resolvedBy: SYSTEM_ACTOR,
    autoResolveReason: reason,
  };
  return {
    alert: next,
    change: { alertId: alert.id, kind: 'resolved', at, actor: SYSTEM_ACTOR, detail: { ...detail, reason } },
  };
}

export function applyEscalation(alert: Alert, d: EscalationDecision, at: number): Transition {
  const { nextEscalationAt: _old, ...rest } = alert;
  const next: Alert = {
    ...rest,
    escalationLevel: d.level,
    ...(d.nextEscalationAt !== null ? { nextEscalationAt: d.nextEscalationAt } : {}),
  };
  return {
    alert: next,
    change: {
      alertId: alert.id,
      kind: 'escalated',
      at,
      actor: SYSTEM_ACTOR,
      detail: {
        level: d.level,
        nodes: d.steps.map((s) => s.nodeId),
        recipients: d.steps.flatMap((s) => s.recipients.map((w) => w.id)),
      },
    },
  };
}

/** Record a delivery attempt's outcome on the alert (status visible on the alert). */
export function notifiedChange(
  alertId: string,
  at: number,
  detail: { channel: string; recipientId: string; status: string; error?: string; outboxId: string },
): AlertChange {
  return { alertId, kind: 'notified', at, actor: SYSTEM_ACTOR, detail };
}
