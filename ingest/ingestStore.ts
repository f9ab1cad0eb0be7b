/**
 * The store ports ingest declares. The SQLite and PostgreSQL stores implement them; ingest imports
 * no store and nothing of the registry's ports.
 */
import type { SealCommitted } from '../core/events.ts';
import type { DoorEventRecord, SealState } from '../core/sealState.ts';

export interface IngestCommit {
  states: SealState[];
  doorEvents: DoorEventRecord[];
  /**
   * The group's committed messages. A store shared by several instances writes them to its feed
   * in the same transaction, for the other instances' live state and the one alerting owner
   * (storage/postgres/sealFeed.ts); a single-instance store has nobody to tell and ignores them.
   */
  events?: readonly SealCommitted[];
  /**
   * Runs inside the commit's transaction, after its writes, where the store can (SQLite: one
   * synchronous connection, so what the callback writes joins the same transaction); a store that
   * cannot (PostgreSQL) leaves it to the caller, and `commitIngest` resolves false. Alerting decides
   * there, so a crash can never leave a committed message that alerting did not see: the message and
   * its alert are one transaction.
   */
  insideTransaction?: () => void;
  /**
   * Ingest is under a light load (ingestLoad.ts): a store that makes a group durable on another thread
   * may wait for it on the event loop instead, where the hand-off and the wake-up back cost more than
   * the wait (SQLite: storage/sqlite/walFlush.ts). Under load the loop has the next group to read.
   */
  light?: boolean;
}

/** What the ingest pipeline loads at start and commits per group of messages. */
export interface IngestStore {
  loadSealStates(): Promise<SealState[]>;
  /**
   * One transaction: the seal states and door events of a group of messages. Resolves whether
   * `insideTransaction` ran inside the transaction.
   */
  commitIngest(commit: IngestCommit): Promise<boolean>;
  /**
   * True when `commitIngest` has applied its transaction by the time it returns, and throws (instead of
   * rejecting) when the transaction fails: what it returns is then the group's durability alone
   * (SQLite: the fsync of the WAL, off the event loop). The pipeline computes and writes the next
   * group while this one syncs. Unset for a store whose transaction is itself a round trip
   * (PostgreSQL): its groups go one after another.
   */
  readonly appliesIngestBeforeReturning?: boolean;
}

/** The door events that ingest's commits leave, newest first: read back for the API's door history. */
export interface DoorHistoryStore {
  doorHistory(sensorId: string, limit: number): Promise<DoorEventRecord[]>;
  /** Every sensor's events on the household's doors: unbroken across a sensor's replacement. */
  householdDoorHistory(householdId: string, limit: number): Promise<DoorEventRecord[]>;
}
