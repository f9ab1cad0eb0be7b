import { type ActiveAlertRef, type AlertType, alertSubjectKey } from '../alertModel.ts';
import type { AlertMemorySource, PendingBreach, StoredAlert } from '../alertStore.ts';
import type { OpenCounter } from '../rules/openCount.ts';
import type { DecisionBatch } from './decisionBatch.ts';

/** Alert types whose subject is one sensor. */
export type SensorAlertType = 'breach' | 'offline' | 'tamper' | 'lowBattery' | 'doorLeftOpen';

const sensorKeysOf = (sensorId: string): Readonly<Record<SensorAlertType, string>> => {
  const subject = `sensor:${sensorId}`;
  return {
    breach: `breach|${subject}`,
    offline: `offline|${subject}`,
    tamper: `tamper|${subject}`,
    lowBattery: `lowBattery|${subject}`,
    doorLeftOpen: `doorLeftOpen|${subject}`,
  };
};

/**
 * What the engine decides from: the unresolved alerts and the alerting facts of each seal and
 * household. Rebuilt from the store at start; changed only by `absorb`, after the batch that
 * changes it was written (engine/decisionQueue.ts), so it never runs ahead of the database.
 */
export class AlertMemory {
  /** Unresolved alerts by `type|subjectKey`. */
  private readonly active = new Map<string, StoredAlert>();
  /** Unresolved alerts by id. */
  readonly byId = new Map<string, StoredAlert>();
  private lowBattery = new Map<string, boolean>();
  private counters = new Map<string, OpenCounter>();
  /** Openings waiting for their grace to end, by sensor. */
  readonly pending = new Map<string, PendingBreach>();
  /** Each sensor's `type|sensor:<id>` keys of `active`, built on first use (activeForSensor). */
  private readonly sensorKeys = new Map<string, Readonly<Record<SensorAlertType, string>>>();

  async load(store: AlertMemorySource): Promise<void> {
    const [unresolved, lowBattery, counters, pending] = await Promise.all([
      store.loadUnresolved(),
      store.loadLowBattery(),
      store.loadOpenCounters(),
      store.loadPendingBreaches(),
    ]);
    // Afresh, should a start that failed half-way be tried again.
    this.active.clear();
    this.byId.clear();
    this.pending.clear();
    for (const a of unresolved) this.remember(a);
    this.lowBattery = lowBattery;
    this.counters = counters;
    for (const p of pending) this.pending.set(p.sensorId, p);
  }

  /** A written batch: its alerts, facts and pending breaches become what memory holds. */
  absorb(batch: DecisionBatch): void {
    for (const a of batch.alerts.values()) this.remember(a);
    for (const f of batch.lowBattery) this.lowBattery.set(f.sensorId, f.notified);
    for (const c of batch.openCounters) this.counters.set(c.householdId, c.counter);
    for (const p of batch.pendingPut) this.pending.set(p.sensorId, p);
    for (const id of batch.pendingDelete) this.pending.delete(id);
  }

  /** One written alert (an acknowledgement, a resolution). */
  remember(a: StoredAlert): void {
    const key = `${a.type}|${alertSubjectKey(a)}`;
    if (a.status === 'resolved') {
      this.byId.delete(a.id);
      if (this.active.get(key)?.id === a.id) this.active.delete(key);
    } else {
      this.byId.set(a.id, a);
      this.active.set(key, a);
    }
  }

  /** The unresolved alert of this type for the subject, if any. */
  activeFor(type: AlertType, subjectKey: string): StoredAlert | undefined {
    return this.active.get(`${type}|${subjectKey}`);
  }

  /**
   * `activeFor(type, 'sensor:<id>')` without building the key: the ingest commit asks for every
   * message (issue 20.1), so each sensor's keys are built once and kept.
   */
  activeForSensor(type: SensorAlertType, sensorId: string): StoredAlert | undefined {
    let keys = this.sensorKeys.get(sensorId);
    if (!keys) {
      keys = sensorKeysOf(sensorId);
      this.sensorKeys.set(sensorId, keys);
    }
    return this.active.get(keys[type]);
  }

  /** A sensor taken off the registry: its kept keys go with it. */
  forgetSensor(sensorId: string): void {
    this.sensorKeys.delete(sensorId);
  }

  ref(type: AlertType, subjectKey: string): ActiveAlertRef {
    return refOf(this.activeFor(type, subjectKey));
  }

  sensorRef(type: SensorAlertType, sensorId: string): ActiveAlertRef {
    return refOf(this.activeForSensor(type, sensorId));
  }

  /** The alert as this batch has it so far, else as memory has it. */
  current(batch: DecisionBatch, id: string | undefined): StoredAlert | undefined {
    if (id === undefined) return undefined;
    return batch.alerts.get(id) ?? this.byId.get(id);
  }

  lowBatteryNotified(sensorId: string): boolean {
    return this.lowBattery.get(sensorId) ?? false;
  }

  openCounter(householdId: string): OpenCounter | null {
    return this.counters.get(householdId) ?? null;
  }
}

const refOf = (a: StoredAlert | undefined): ActiveAlertRef =>
  a ? { id: a.id, status: a.status, count: a.count } : null;
