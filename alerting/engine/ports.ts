import type { SealState as CoreSealState } from '../../core/sealState.ts';
import type { GridTree, TreeNode } from '../../registry/gridTree.ts';
import type { PolicyOverrides } from '../../registry/policy/policyFields.ts';
import type { ArmingWindow, Quarantine } from '../alertModel.ts';
import type { Worker } from '../routing.ts';

/**
 * What the engine reads of the registry and of ingest's live state. The service passes the real
 * Registry and IngestPipeline (they fit structurally); alerting imports neither.
 */
export interface AlertingRegistry {
  readonly tree: GridTree<TreeNode>;
  workersAt(gridId: string): readonly Worker[];
  /** Who is on duty for the node at `at` by the rosters (nearest first); absent: nobody rostered. */
  onDutyAt?(gridId: string, at: number): readonly Worker[];
  /** The substitute of a worker away at `at`, one step; absent: nobody away. */
  substituteOf?(workerId: string, at: number): Worker | undefined;
  household(
    id: string,
  ): { id: string; gridId: string; address: string | null; purgedAt?: number | null } | undefined;
  sensor(
    id: string,
  ): { id: string; householdId: string; commissioningUntil: number | null; createdAt: number } | undefined;
  allSensors(): ReadonlyArray<{
    id: string;
    householdId: string;
    /** The sensor model's id (a model change reschedules the sensors that name it). */
    model?: string;
    commissioningUntil: number | null;
    createdAt: number;
  }>;
  allHouseholds(): ReadonlyArray<{ id: string; gridId: string }>;
  /** Gateways and the sensors behind each (a gateway that goes silent is one alert); absent: none. */
  allGateways?(): ReadonlyArray<{ id: string; name: string; sensorIds: readonly string[] }>;
  /**
   * The heartbeat a sensor is judged by: its model's (registry/sensorModels.ts). Looked up by the
   * sensor in memory, never per message through the database. Absent (or undefined for a sensor):
   * the policy's HEARTBEAT_INTERVAL × MISSED_HEARTBEATS.
   */
  sensorModelOf?(
    sensorId: string,
  ): { heartbeatIntervalMs: number; missedHeartbeats: number; lowBatteryPercent: number | null } | undefined;
  sensorsOf(householdId: string): ReadonlyArray<{ id: string; commissioningUntil: number | null }>;
  /**
   * The policy fields set on a node's way to the root (the environment's values are the engine's
   * own): the same object until a policy or the tree changes, read per message (no I/O).
   */
  policyOverrides(gridId: string): Readonly<PolicyOverrides>;
  armingInputs(householdId: string): {
    quarantines: readonly (Quarantine & { id: string })[];
    windows: readonly (ArmingWindow & { id: string })[];
  };
}

export interface SealStates {
  state(sensorId: string): CoreSealState | undefined;
  allStates(): Iterable<CoreSealState>;
}

/** The telemetry sink's `append`, for `alert` points. */
export interface AlertTelemetry {
  append(
    points: ReadonlyArray<{
      measurement: 'alert';
      tags: Record<string, string>;
      fields: Record<string, number>;
      time: number;
    }>,
  ): void;
}
