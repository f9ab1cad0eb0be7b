/**
 * What the registry asks of a store, put together from the ports its command modules declare
 * (registry/commands/*: each declares the few methods it writes through). The SQLite and PostgreSQL
 * stores implement it. Every method is asynchronous, so a store on another database fits without
 * touching callers. Methods write exactly what they are given; validation and referential checks
 * with friendly errors happen in the commands. Ingest's commit and the door history are declared by
 * ingest (ingest/ingestStore.ts), not here.
 */
import type { AuditLogStore } from './auditTrail.ts';
import type { GatewayStore } from './commands/gatewayCommands.ts';
import type { GridStore } from './commands/gridCommands.ts';
import type { HouseholdStore } from './commands/householdCommands.ts';
import type { ImportStore } from './commands/importCommand.ts';
import type { ModelStore } from './commands/modelCommands.ts';
import type { PlatformAppStore } from './commands/platformAppCommands.ts';
import type { PolicyStore } from './commands/policyCommands.ts';
import type { PurgeStore } from './commands/purgeCommand.ts';
import type { QuarantineStore } from './commands/quarantineCommands.ts';
import type { RosterStore } from './commands/rosterCommands.ts';
import type { SecretHashStore } from './commands/secretHashCommands.ts';
import type { SensorStore } from './commands/sensorCommands.ts';
import type { SessionStore } from './commands/sessionCommands.ts';
import type { TokenStore } from './commands/tokenCommands.ts';
import type { UserStore } from './commands/userCommands.ts';
import type { WindowStore } from './commands/windowCommands.ts';
import type { WorkerStore } from './commands/workerCommands.ts';
import type { RegistrySnapshot } from './registryIndex.ts';

/** The whole registry, read at load and at every reload. */
export interface SnapshotStore {
  loadRegistry(): Promise<RegistrySnapshot>;
}

/** The registry's records: the grid, people, households, devices and their schedules. */
export interface EntityStore
  extends SnapshotStore,
    GridStore,
    WorkerStore,
    HouseholdStore,
    SensorStore,
    ModelStore,
    GatewayStore,
    PlatformAppStore,
    SecretHashStore,
    QuarantineStore,
    WindowStore,
    RosterStore,
    PolicyStore,
    ImportStore {}

/**
 * Everything the Registry writes and reads through: its records, the API tokens, the people who sign
 * in and their sessions, the privacy purge and the audit trail.
 */
export interface RegistryStore
  extends EntityStore,
    TokenStore,
    UserStore,
    SessionStore,
    PurgeStore,
    AuditLogStore {}
