import type { SealMessage } from '../core/sealMessage.ts';
import type {
  ActiveAlertRef,
  Announcement,
  ArmingWindow,
  Decision,
  HouseholdRef,
  Policy,
  Quarantine,
  SealState,
} from './alertModel.ts';
import { activeQuarantine } from './rules/arming.ts';
import { evaluateOpen } from './rules/breach.ts';
import { inCommissioning } from './rules/commissioning.ts';
import { closedDoorLeftOpen } from './rules/doorLeftOpen.ts';
import { type DoorTransition, doorTransition } from './rules/doorTransition.ts';
import { evaluateBattery } from './rules/lowBattery.ts';
import { evaluateSeen } from './rules/offline.ts';
import { countOpen, countsTowardLimit, evaluateOpenCount, type OpenCounter } from './rules/openCount.ts';
import { evaluateTamper } from './rules/tamper.ts';

export interface MessageContext {
  msg: SealMessage;
  /** The seal's state before this message. */
  before: SealState;
  /** null when the sensor is not bound to a household. */
  household: HouseholdRef | null;
  quarantines: readonly Quarantine[];
  windows: readonly ArmingWindow[];
  announcements: readonly Announcement[];
  /** Unresolved alerts of this sensor (and its household for openCount), by type. */
  active: {
    breach?: ActiveAlertRef;
    offline?: ActiveAlertRef;
    tamper?: ActiveAlertRef;
    lowBattery?: ActiveAlertRef;
    openCount?: ActiveAlertRef;
    doorLeftOpen?: ActiveAlertRef;
  };
  /** The household's opens-per-day counter. */
  openCounter: OpenCounter | null;
  policy: Policy;
  /** TZ_LOCAL, for the opens-per-day boundary. */
  tz: string;
}

export interface MessageEvaluation {
  transition: DoorTransition;
  decisions: Decision[];
  /** The household's counter after this message (unchanged object when nothing counted). */
  openCounter: OpenCounter | null;
}

/**
 * All per-message rules for one committed SealMessage. The engine persists `decisions` and
 * `openCounter` in the same transaction; the door state itself is ingest's (it uses the same
 * `doorTransition`, so a stale event changes neither state nor alerts).
 */
export function evaluateMessage(ctx: MessageContext): MessageEvaluation {
  const { msg, before, household, policy } = ctx;
  const decisions: Decision[] = [];
  const seen = evaluateSeen(ctx.active.offline ?? null, msg.receivedAt);
  if (seen) decisions.push(seen);

  const transition = doorTransition(before, msg);
  let openCounter = ctx.openCounter;
  const closed = closedDoorLeftOpen(transition, ctx.active.doorLeftOpen ?? null);
  if (closed) decisions.push(closed);
  if (!household) return { transition, decisions, openCounter };

  const commissioning = inCommissioning(before, msg.receivedAt);
  const arming = {
    household,
    quarantines: ctx.quarantines,
    windows: ctx.windows,
    announcements: ctx.announcements,
  };

  if (transition.kind === 'opened') {
    const breach = evaluateOpen({
      sensorId: msg.sensorId,
      at: transition.at,
      arming,
      commissioningUntil: commissioning ? before.commissioningUntil : null,
      active: ctx.active.breach ?? null,
      policy,
    });
    if (breach) decisions.push(breach);
    if (!commissioning && countsTowardLimit(arming, transition.at)) {
      openCounter = countOpen(openCounter, transition.at, ctx.tz);
      const oc = evaluateOpenCount({
        counter: openCounter,
        household,
        sensorId: msg.sensorId,
        at: transition.at,
        active: ctx.active.openCount ?? null,
        policy,
      });
      if (oc) decisions.push(oc);
    }
  }

  const monitored = !commissioning && activeQuarantine(household, ctx.quarantines, msg.ts) !== null;
  const tamper = evaluateTamper({
    msg,
    tamperBefore: before.tamper,
    monitored,
    household,
    active: ctx.active.tamper ?? null,
  });
  if (tamper) decisions.push(tamper);

  if (msg.kind === 'heartbeat') {
    decisions.push(
      ...evaluateBattery({
        sensorId: msg.sensorId,
        householdId: household.id,
        gridId: household.gridId,
        battery: msg.battery,
        batteryLow: msg.batteryLow,
        notified: before.lowBatteryNotified,
        commissioning,
        active: ctx.active.lowBattery ?? null,
        at: msg.receivedAt,
        policy,
      }),
    );
  }
  return { transition, decisions, openCounter };
}
