import { type AlertChange, gatewayOf } from '../alertModel.ts';
import type { OutboxRow, StoredAlert } from '../alertStore.ts';

/** An alert as the API, the SSE stream and the live page show it: ISO times, address, grid path. */
export interface AlertView {
  id: string;
  type: string;
  sensorId?: string;
  householdId?: string;
  gridId: string;
  /** A gateway's outage: the gateway that went silent. */
  gatewayId?: string;
  severity: string;
  status: string;
  assignee: string | null;
  openedAt: string;
  ackedAt?: string;
  ackedBy?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  outcome?: string;
  autoResolveReason?: string;
  note?: string;
  count: number;
  escalationLevel: number;
  nextEscalationAt?: string;
  address?: string;
  gridPath?: string[];
  [key: string]: unknown;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function alertView(
  a: StoredAlert,
  place: { address?: string | null | undefined; gridPath?: readonly string[] },
): AlertView {
  return {
    id: a.id,
    type: a.type,
    ...(a.sensorId !== undefined ? { sensorId: a.sensorId } : {}),
    ...(a.householdId !== undefined ? { householdId: a.householdId } : {}),
    gridId: a.gridId,
    ...(gatewayOf(a) !== undefined ? { gatewayId: gatewayOf(a) } : {}),
    severity: a.severity,
    status: a.status,
    assignee: a.assignee,
    openedAt: iso(a.openedAt),
    ...(a.ackedAt !== undefined ? { ackedAt: iso(a.ackedAt) } : {}),
    ...(a.ackedBy !== undefined ? { ackedBy: a.ackedBy } : {}),
    ...(a.resolvedAt !== undefined ? { resolvedAt: iso(a.resolvedAt) } : {}),
    ...(a.resolvedBy !== undefined ? { resolvedBy: a.resolvedBy } : {}),
    ...(a.outcome !== undefined ? { outcome: a.outcome } : {}),
    ...(a.autoResolveReason !== undefined ? { autoResolveReason: a.autoResolveReason } : {}),
    ...(a.note !== undefined ? { note: a.note } : {}),
    count: a.count,
    escalationLevel: a.escalationLevel,
    ...(a.nextEscalationAt !== undefined ? { nextEscalationAt: iso(a.nextEscalationAt) } : {}),
    ...(place.address ? { address: place.address } : {}),
    ...(place.gridPath && place.gridPath.length > 0 ? { gridPath: [...place.gridPath] } : {}),
  };
}

export function changeView(c: AlertChange) {
  return { kind: c.kind, at: iso(c.at), actor: c.actor, detail: c.detail };
}

/** A delivery as shown on the alert: never the rendered message (it holds the ack link). */
export function deliveryView(o: OutboxRow) {
  return {
    id: o.id,
    channel: o.channel,
    recipientId: o.recipientId,
    status: o.status,
    attempts: o.attempts,
    createdAt: iso(o.createdAt),
    ...(o.deliveredAt !== null ? { deliveredAt: iso(o.deliveredAt) } : {}),
    ...(o.nextAttemptAt !== null && o.status === 'pending' ? { nextAttemptAt: iso(o.nextAttemptAt) } : {}),
    ...(o.lastError !== null ? { lastError: o.lastError } : {}),
    ...(o.receipt
      ? {
          receipt: {
            status: o.receipt.status,
            ...(o.receipt.detail ? { detail: o.receipt.detail } : {}),
            at: iso(o.receipt.at),
          },
        }
      : {}),
  };
}
