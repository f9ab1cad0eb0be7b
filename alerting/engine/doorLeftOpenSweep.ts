import { type DoorLeftOpenInput, doorLeftOpenDueAt, evaluateDoorLeftOpen } from '../rules/doorLeftOpen.ts';
import type { DecisionBatch } from './decisionBatch.ts';
import type { Decisions } from './decisions.ts';
import { type EngineContext, householdRef } from './engineContext.ts';

/**
 * The sweep's half of "door left open too long" (rules/doorLeftOpen.ts): looks only at the doors
 * open now (the engine's openDoorIds, as the window-end rule does), raises what is due, and tells
 * the sweep when the next one falls due so a short policy limit is kept to the second.
 */
export class DoorLeftOpenSweep {
  constructor(
    private readonly c: EngineContext,
    private readonly decisions: Decisions,
  ) {}

  sweep(batch: DecisionBatch, now: number): void {
    for (const input of this.inputs(now)) {
      const d = evaluateDoorLeftOpen(input);
      if (d) this.decisions.apply(batch, d, now);
    }
  }

  /** The earliest deadline after `now` among the open doors (null: none). */
  nextDueAt(now: number): number | null {
    let next: number | null = null;
    for (const input of this.inputs(now)) {
      const due = doorLeftOpenDueAt(input);
      if (due !== null && due > now) next = Math.min(next ?? due, due);
    }
    return next;
  }

  private *inputs(now: number): Generator<DoorLeftOpenInput> {
    const { seals, registry } = this.c.o;
    for (const sensorId of this.c.openDoorIds) {
      const st = seals.state(sensorId);
      const sensor = registry.sensor(sensorId);
      if (st?.door !== 'open' || !sensor) continue;
      const household = householdRef(registry, sensor.householdId);
      const arming = registry.armingInputs(sensor.householdId);
      yield {
        sensorId,
        household,
        door: st.door,
        openSince: st.lastDoorChange,
        commissioningUntil: sensor.commissioningUntil,
        quarantines: arming.quarantines,
        windows: arming.windows,
        announcements: this.c.announcements.of(sensor.householdId),
        active: this.c.memory.ref('doorLeftOpen', `sensor:${sensorId}`),
        policy: this.c.policies.at(household.gridId),
        now,
      };
    }
  }
}
