import type { EventBus } from '../core/eventBus.ts';
import type { ServiceEvents } from '../core/events.ts';

/**
 * Every registry write is counted and announced. The count is the registry's revision: readers cache
 * what they derive from the registry by it, and a reload reads again while writes land. The
 * announcement is 'registry.changed' on the bus: the live page, the broker's service sessions and,
 * through the shared store's listener, the other instances react to it.
 */
export class RegistryChanges {
  private writes = 0;

  constructor(private readonly bus: EventBus<ServiceEvents>) {}

  /** Grows with every write. */
  get revision(): number {
    return this.writes;
  }

  /** A write nobody else needs to hear of (the index swapped by a reload): counted only. */
  count(): void {
    this.writes++;
  }

  changed(entity: string, id: string, removed = false): void {
    this.writes++;
    this.bus.emit('registry.changed', removed ? { entity, id, removed } : { entity, id });
  }

  /**
   * A sensor took over another's door: the new one is announced, then the old one as removed (its
   * sessions end; alerting resolves its alerts as replaced, not removed).
   */
  sensorReplaced(oldId: string, newId: string): void {
    this.writes += 2;
    this.bus.emit('registry.changed', { entity: 'sensor', id: newId });
    this.bus.emit('registry.changed', { entity: 'sensor', id: oldId, removed: true, replacedBy: newId });
  }

  /** A device's secret was replaced: its open sessions, on every instance, must end. */
  secretReplaced(entity: 'sensor' | 'gateway', id: string): void {
    this.writes++;
    this.bus.emit('registry.changed', { entity, id, secretReplaced: true });
  }
}
