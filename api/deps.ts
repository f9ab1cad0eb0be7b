import type { Alerting } from '../alerting/engine/createAlerting.ts';
import type { BrokerHooks } from '../broker/external/brokerHooks.ts';
import type { Clock } from '../core/clock.ts';
import type { SealState } from '../core/sealState.ts';
import type { PlatformIngest } from '../ingest/platforms/platformIngest.ts';
import type { Registry } from '../registry/registry.ts';
import type { BackupReport } from './backupReport.ts';
import type { EventStream } from './live/eventStream.ts';
import type { AlertingOwner } from './ownerProxy.ts';
import type { DoorEventAnswer } from './schemas/liveAnswers.ts';
import type { SessionSettings } from './sessionCookie.ts';

/** Everything the HTTP API reads and writes through; built by the composition root. */
export interface ApiDeps {
  registry: Registry;
  seals: { state(sensorId: string): SealState | undefined; allStates(): Iterable<SealState> };
  /** A seal's door events, newest first, times as ISO strings. */
  doorHistory(sensorId: string, limit: number): Promise<DoorEventAnswer[]>;
  /** A household's door events (every sensor it had), newest first, times as ISO strings. */
  householdDoorHistory(householdId: string, limit: number): Promise<DoorEventAnswer[]>;
  clock: Clock;
  /** How long commissioning lasts before it ends by itself. */
  commissioningMs: number;
  isReady(): boolean;
  /** All metrics, or only these names. */
  metricsText(names?: readonly string[]): Promise<string>;
  metricsContentType: string;
  observeHttp(method: string, route: string, statusCode: number, ms: number): void;
  version: string;
  /** The live stream of seal and alert changes for GET /api/events. */
  events: EventStream;
  /** Unresolved alerts, for the per-node counts. */
  openAlerts(): Iterable<{ gridId: string; type: string }>;
  /** The alerting engine, the acknowledge and announce links, the daily report. */
  alerting: Alerting;
  /** Which instance runs alerting; the others forward alerting calls to it. */
  alertingOwner?: AlertingOwner;
  /** Device authentication and topic ACL for an external broker (EMQX HTTP hooks). */
  brokerHooks: BrokerHooks;
  /** The carrier platforms' HTTP pushes (CTWing, OneNET) into ingest. */
  platformPush: PlatformIngest;
  /** People's sign-in: session lifetimes, the page's origin, the cookie's Secure flag. */
  sessions: SessionSettings;
  /** The scheduled backups, shown in /readyz's details; absent without BACKUP_DIR. */
  backups?: BackupReport;
}
