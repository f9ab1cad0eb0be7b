import { invalid } from '../../core/errors.ts';
import type { AuditEntry } from '../../registry/auditTrail.ts';
import type { SensorSilence } from '../alertStore.ts';
import type { DecisionQueue } from './decisionQueue.ts';
import { whenWritten } from './decisionQueue.ts';
import type { AlertEngineOptions } from './engineOptions.ts';

/** The longest silence: a forgotten one must not switch a seal off for good. */
export const MAX_SILENCE_MS = 30 * 24 * 3600_000;

/**
 * Sensors silenced by a person (a seal being repaired, a known fault): until its silence ends, a
 * sensor raises no alert of any kind (engine/decisions.ts asks `active` before raising) and counts
 * as not monitored for offline and outage. A silence ends by itself: it is a time, compared with
 * the clock at each decision, so nothing has to run at its end, and a restart reads the ones still
 * running from the store. Memory holds those not yet ended; each change is written first.
 */
export class Silences {
  private readonly bySensor = new Map<string, SensorSilence>();

  constructor(
    private readonly o: Pick<AlertEngineOptions, 'store' | 'clock' | 'logger'>,
    private readonly queue: DecisionQueue,
  ) {}

  async load(now: number): Promise<void> {
    const stored = await this.o.store.loadSilences(now);
    this.bySensor.clear();
    for (const s of stored) this.bySensor.set(s.sensorId, s);
  }

  /** The silence in force on the sensor at `now`, if any. */
  of(sensorId: string, now: number): SensorSilence | undefined {
    const s = this.bySensor.get(sensorId);
    return s !== undefined && now < s.until ? s : undefined;
  }

  active(sensorId: string, now: number): boolean {
    return this.of(sensorId, now) !== undefined;
  }

  /** Sensors silenced at `now` (for /metrics); ended silences leave memory here. */
  count(now: number): number {
    for (const [id, s] of this.bySensor) if (s.until <= now) this.bySensor.delete(id);
    return this.bySensor.size;
  }

  /** Silences (again: a new silence replaces the one in force) until `until`, with its audit entry. */
  silence(
    input: { sensorId: string; until: number; reason: string; by: string },
    audit: (s: SensorSilence, before: SensorSilence | undefined) => AuditEntry,
  ): Promise<SensorSilence> | SensorSilence {
    const now = this.o.clock.now();
    if (!(input.until > now)) throw invalid('a silence must end in the future', { field: 'until' });
    if (input.until - now > MAX_SILENCE_MS)
      throw invalid('a silence may last 30 days at most', { field: 'until', maxDays: 30 });
    const s: SensorSilence = { ...input, createdAt: now };
    return this.queue.run(() => {
      const before = this.of(s.sensorId, now);
      const written = this.queue.watch(this.o.store.apply({ silences: [s], audit: [audit(s, before)] }));
      return whenWritten(written, () => {
        this.bySensor.set(s.sensorId, s);
        this.o.logger.info(
          { sensorId: s.sensorId, until: s.until, by: s.by, reason: s.reason },
          'sensor silenced: no alerts from it until then',
        );
        return s;
      });
    });
  }

  /** Lifts the sensor's silence now; returns the one lifted, undefined when none was in force. */
  lift(
    sensorId: string,
    audit: (before: SensorSilence) => AuditEntry,
  ): Promise<SensorSilence | undefined> | SensorSilence | undefined {
    return this.queue.run(() => {
      const before = this.of(sensorId, this.o.clock.now());
      if (!before) return undefined;
      const written = this.queue.watch(
        this.o.store.apply({ silenceDeletes: [sensorId], audit: [audit(before)] }),
      );
      return whenWritten(written, () => {
        this.bySensor.delete(sensorId);
        this.o.logger.info({ sensorId }, 'sensor silence lifted: its alerts are back');
        return before;
      });
    });
  }

  /** A sensor taken off the registry: its silence goes too (a new sensor by that id starts unsilenced). */
  forget(sensorId: string): void {
    if (!this.bySensor.delete(sensorId)) return;
    const written = this.queue.run(() =>
      this.queue.watch(this.o.store.apply({ silenceDeletes: [sensorId] })),
    );
    written?.catch((err: unknown) =>
      this.o.logger.error({ err, sensorId }, 'silence of a removed sensor not deleted'),
    );
  }
}
