import { randomUUID } from 'node:crypto';
import { conflict } from '../../core/errors.ts';
import { MAX_DOOR_OPEN_LIMIT_MS } from '../../registry/policy/policyFields.ts';
import type { StoredAnnouncement } from '../alertStore.ts';
import type { DecisionQueue } from './decisionQueue.ts';
import { whenWritten } from './decisionQueue.ts';
import type { AlertEngineOptions } from './engineOptions.ts';

/** An opening announced for a household, as the API and the household's link give it. */
export interface AnnouncementInput {
  householdId: string;
  start: number;
  end: number;
  reason: string;
  by: string;
}

/**
 * Openings a household (or its worker) announced: inside one, an opening is logged, not alerted.
 * Memory holds those not yet ended (and those ended within the longest door-open limit), per
 * household, for the rules; each new one is written first.
 */
export class Announcements {
  private readonly byHousehold = new Map<string, StoredAnnouncement[]>();

  constructor(
    private readonly o: Pick<AlertEngineOptions, 'store' | 'clock' | 'logger' | 'bus' | 'registry'>,
    private readonly queue: DecisionQueue,
  ) {}

  async load(now: number): Promise<void> {
    // Those that ended recently too (see prune): a door still open after one is judged by its end.
    const stored = await this.o.store.loadAnnouncements(now - MAX_DOOR_OPEN_LIMIT_MS);
    this.byHousehold.clear();
    for (const a of stored) this.add(a);
  }

  of(householdId: string): readonly StoredAnnouncement[] {
    return this.byHousehold.get(householdId) ?? [];
  }

  async announce(input: AnnouncementInput): Promise<StoredAnnouncement> {
    if (!(input.end > input.start)) throw conflict('an announcement must end after it starts');
    const a: StoredAnnouncement = { id: randomUUID(), ...input, createdAt: this.o.clock.now() };
    return this.queue.run(() =>
      whenWritten(this.queue.watch(this.o.store.apply({ announcements: [a] })), () => {
        this.add(a);
        this.o.logger.info(
          { announcementId: a.id, householdId: a.householdId, start: a.start, end: a.end, by: a.by },
          'opening announced',
        );
        const gridId = this.o.registry.household(a.householdId)?.gridId;
        if (gridId !== undefined) {
          const { id, householdId, start, end, reason, by } = a;
          this.o.bus.emit('announcement.made', { id, householdId, gridId, start, end, reason, by });
        }
        return a;
      }),
    );
  }

  /**
   * Ended ones are of no use to the rules once no door-open limit can reach back to them: the
   * doorLeftOpen rule counts from the end of the announcement that allowed a door's opening.
   */
  prune(now: number): void {
    const keepAfter = now - MAX_DOOR_OPEN_LIMIT_MS;
    for (const [h, list] of this.byHousehold) {
      const kept = list.filter((a) => a.end > keepAfter);
      if (kept.length === 0) this.byHousehold.delete(h);
      else if (kept.length !== list.length) this.byHousehold.set(h, kept);
    }
  }

  private add(a: StoredAnnouncement): void {
    const list = this.byHousehold.get(a.householdId) ?? [];
    list.push(a);
    this.byHousehold.set(a.householdId, list);
  }
}
