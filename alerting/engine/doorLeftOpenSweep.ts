import { type DoorLeftOpenInput, doorLeftOpenDueAt, evaluateDoorLeftOpen } from '../rules/doorLeftOpen.ts';
import type { DecisionBatch } from './decisionBatch.ts';
import type { Decisions } from './decisions.ts';
import { type EngineContext, householdRef } from './engineContext.ts';

/** The openings already alerted (JSON `{sensorId: openSince}`), so a restart does not alert them again. */
const ALERTED_KEY = 'doorLeftOpen.alerted';

/**
 * The sweep's half of "door left open too long" (rules/doorLeftOpen.ts): looks only at the doors
 * open now (the engine's openDoorIds, as the window-end rule does), raises what is due, and tells
 * the sweep when the next one falls due so a short policy limit is kept to the second.
 *
 * One alert per opening: a worker who resolves it while the door stays open (the family has a
 * reason) is not paged again every sweep. The openings alerted are remembered by the time the door
 * opened, written with the sweep's batch and taken into memory once that batch is written.
 */
export class DoorLeftOpenSweep {
  private alerted = new Map<string, number>();
  /** What the batch being written will make of `alerted`; null: no change. */
  private pending: Map<string, number> | null = null;

  constructor(
    private readonly c: EngineContext,
    private readonly decisions: Decisions,
  ) {}

  async load(): Promise<void> {
    const saved = await this.c.o.store.getState(ALERTED_KEY);
    this.alerted = new Map(Object.entries(saved ? (JSON.parse(saved) as Record<string, number>) : {}));
  }

  sweep(batch: DecisionBatch, now: number): void {
    const next = new Map<string, number>();
    for (const input of this.inputs(now)) {
      const openSince = input.openSince ?? 0;
      if (this.alerted.get(input.sensorId) === openSince) {
        next.set(input.sensorId, openSince); // still the same opening: alerted already
        continue;
      }
      const d = evaluateDoorLeftOpen(input);
      if (!d) continue;
      this.decisions.apply(batch, d, now);
      next.set(input.sensorId, openSince);
    }
    // Doors closed (or opened again) since are forgotten with the same write.
    const changed =
      next.size !== this.alerted.size || [...next].some(([id, t]) => this.alerted.get(id) !== t);
    this.pending = changed ? next : null;
    if (changed) batch.state[ALERTED_KEY] = JSON.stringify(Object.fromEntries(next));
  }

  /** The sweep's batch was written: memory follows the database. */
  written(): void {
    if (this.pending) this.alerted = this.pending;
    this.pending = null;
  }

  /**
   * The earliest deadline among the open doors not yet alerted (null: none). One already due that
   * the rule would raise now counts as `now`: a timer may fire a millisecond before the deadline it
   * was set for, and that sweep found it not yet due. One due that the rule would not raise (the
   * quarantine ended, commissioning) does not count, or the sweep would spin.
   */
  nextDueAt(now: number): number | null {
    let next: number | null = null;
    for (const input of this.inputs(now)) {
      if (this.alerted.get(input.sensorId) === (input.openSince ?? 0)) continue;
      const due = doorLeftOpenDueAt(input);
      if (due === null || (due <= now && !evaluateDoorLeftOpen(input))) continue;
      next = Math.min(next ?? due, Math.max(due, now));
    }
    return next;
  }

  /**
   * When a door that just reported open falls due (null: it does not), from the state the message
   * left: the sweep wakes by then instead of at its regular period.
   */
  dueFor(
    sensorId: string,
    st: { door: DoorLeftOpenInput['door']; lastDoorChange: number | null },
    now: number,
  ) {
    const input = this.input(sensorId, st, now);
    return input ? doorLeftOpenDueAt(input) : null;
  }

  private *inputs(now: number): Generator<DoorLeftOpenInput> {
    for (const sensorId of this.c.openDoorIds) {
      const st = this.c.o.seals.state(sensorId);
      const input = st && this.input(sensorId, st, now);
      if (input) yield input;
    }
  }

  private input(
    sensorId: string,
    st: { door: DoorLeftOpenInput['door']; lastDoorChange: number | null },
    now: number,
  ): DoorLeftOpenInput | null {
    const { registry } = this.c.o;
    const sensor = registry.sensor(sensorId);
    if (st.door !== 'open' || !sensor) return null;
    const household = householdRef(registry, sensor.householdId);
    const arming = registry.armingInputs(sensor.householdId);
    return {
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
