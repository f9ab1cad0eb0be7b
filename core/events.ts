/**
 * Everything that travels on the service's event bus. Ingest emits, alerting,
 * telemetry, SSE and metrics react; none of them calls into another.
 */
import type { SealMessage } from './sealMessage.ts';
import type { SealState } from './sealState.ts';

export interface SealCommitted {
  message: SealMessage;
  before: SealState;
  after: SealState;
  householdId: string;
  gridId: string;
}

export type RejectReason =
  | 'bad_json'
  | 'schema'
  | 'too_large'
  | 'unknown_sensor'
  | 'acl'
  | 'bad_topic'
  | 'duplicate'
  | 'unknown_dialect';

export interface ServiceEvents {
  /**
   * A message's state change is being committed: alerting decides here. Where the store can, this
   * runs inside the commit's transaction (SQLite), so the message and its decisions are committed
   * together or not at all; elsewhere right after the commit. Only alerting listens.
   */
  'seal.decide': SealCommitted;
  /** A message's state change is committed (after the transaction): the live page, metrics. */
  'seal.committed': SealCommitted;
  /**
   * An ingest group is durable; its PUBACKs go out now. `waitedMs`: since its first message came, the
   * longest any of its messages waited inside the service for its PUBACK; `syncMs`: the part after
   * the transaction (SQLite's WAL sync off the event loop and waiting for the groups written before it
   * to be durable, PostgreSQL's round trip).
   */
  'ingest.committed': { messages: number; waitedMs: number; syncMs: number };
  /** A message was dropped; duplicates are counted here too. */
  'message.rejected': { reason: RejectReason; sensorId: string | null; dialect: string | null };
  /** A field of an accepted message was unusable (e.g. a battery of 255 %) and was left out. */
  'message.fieldIgnored': { field: string; sensorId: string | null; dialect: string };
  /** A message was accepted into the pipeline (before commit), per dialect. */
  'message.accepted': { dialect: string; sensorId: string };
  /** A carrier platform's HTTP push (ingest/platforms/) was taken or refused, by result. */
  'platform.push': { platform: string; result: string };
  /** A registry record was created or changed. */
  /** `removed` when the record was deleted (a sensor taken off, a node removed, …). */
  /**
   * A registry write. `removed`: the entity is gone. `secretReplaced`: a device's secret was replaced
   * (its sessions must end: the old secret is refused from now on).
   */
  /** `replacedBy`: a sensor removed because another took over its door (registry replaceSensor). */
  'registry.changed': {
    entity: string;
    id: string;
    removed?: boolean;
    secretReplaced?: boolean;
    replacedBy?: string;
  };
  /** An MQTT connection was refused or closed, by reason. */
  'connection.closed': { reason: string; clientId: string | null };
  'connection.opened': { clientId: string; kind: string };
  'auth.refused': { reason: string; username: string | null };
  /** An alert was opened, notified, escalated, acknowledged, resolved or updated. */
  'alert.changed': { alert: AlertSnapshot; change: string };
  /** An opening was announced (staff, the one-time link or the household's QR code): the live page shows it. */
  'announcement.made': AnnouncementSnapshot;
}

/** An announced opening as the live page shows it (times in epoch ms). */
export interface AnnouncementSnapshot {
  id: string;
  householdId: string;
  gridId: string;
  start: number;
  end: number;
  reason: string;
  /** Who announced: a person or token, `household-link:<staff>` or `resident-qr:<staff who made the code>`. */
  by: string;
}

/** What the page and the SSE stream need of an alert; alerting owns the full record. */
export interface AlertSnapshot {
  id: string;
  gridId: string;
  type: string;
  status: string;
  [key: string]: unknown;
}
