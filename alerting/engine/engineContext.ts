import type { HouseholdRef } from '../alertModel.ts';
import type { OutboxRow } from '../alertStore.ts';
import type { RobotRateGate } from '../notifiers/robotRateLimit.ts';
import type { OfflineTracker } from '../offlineTracker.ts';
import type { RecipientLimiter } from '../recipientLimiter.ts';
import type { OrgChart } from '../routing.ts';
import type { AlertMemory } from './alertMemory.ts';
import type { Announcements } from './announcements.ts';
import type { DecisionQueue } from './decisionQueue.ts';
import type { AlertEngineOptions } from './engineOptions.ts';
import type { GatewayWatch } from './gatewayWatch.ts';
import type { NodePolicies } from './nodePolicies.ts';
import type { AlertingRegistry } from './ports.ts';
import type { Silences } from './silences.ts';

/** What the engine's parts share: its options and the state they read and change. */
export interface EngineContext {
  readonly o: AlertEngineOptions;
  readonly org: OrgChart;
  readonly queue: DecisionQueue;
  readonly memory: AlertMemory;
  readonly announcements: Announcements;
  /** Sensors people silenced: they raise nothing until their silence ends. */
  readonly silences: Silences;
  /** The policy in force at each grid node: the rules read it, not `o.policy`, for anything a node may set. */
  readonly policies: NodePolicies;
  /** When each seal was last heard of, and which are silent. */
  readonly tracker: OfflineTracker;
  /** Which gateways said they are offline, and which sensors are behind which gateway. */
  readonly gateways: GatewayWatch;
  /** Sensors whose door is open now: the sweep's window-end rule looks at these only, not every seal. */
  readonly openDoorIds: Set<string>;
  readonly limiter: RecipientLimiter<OutboxRow>;
  /** Group robots' own budgets (per robot URL), shared by the dispatcher and the summaries. */
  readonly robots: RobotRateGate;
  readonly startedAt: number;
}

export function householdRef(registry: AlertingRegistry, householdId: string): HouseholdRef {
  const h = registry.household(householdId);
  const gridId = h?.gridId ?? '';
  return { id: householdId, gridId, gridPath: registry.tree.pathIds(gridId) };
}
