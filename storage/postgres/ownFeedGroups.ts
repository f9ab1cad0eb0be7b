import type { SealCommitted } from '../../core/events.ts';

/** Beyond this many messages held (an engine far behind), groups are read back from the feed instead. */
const MAX_HELD_MESSAGES = 200_000;

/**
 * The commit groups this instance wrote to the seal feed, by feed row id, while it owns alerting
 * (issue 20.4): its engine takes them from here instead of reading its own JSON back from
 * PostgreSQL and parsing it. The feed still holds every group (the next owner reads them after a
 * crash); a group missing here (committed before ownership, its commit's answer lost, or over the
 * cap) is read from the feed as before, so what is held is only a shortcut.
 */
export class OwnFeedGroups {
  private readonly groups = new Map<number, readonly SealCommitted[]>();
  private held = 0;
  private keeping = false;

  /** Start (the engine reads the feed here) or stop holding groups; stopping forgets them. */
  keep(on: boolean): void {
    this.keeping = on;
    if (!on) {
      this.groups.clear();
      this.held = 0;
    }
  }

  /** A group committed as feed row `id`. */
  remember(id: number, events: readonly SealCommitted[]): void {
    if (!this.keeping || this.held + events.length > MAX_HELD_MESSAGES) return;
    this.groups.set(id, events);
    this.held += events.length;
  }

  /** The group of row `id`, once: the engine's tail has reached it. */
  take(id: number): readonly SealCommitted[] | undefined {
    const events = this.groups.get(id);
    if (events === undefined) return undefined;
    this.groups.delete(id);
    this.held -= events.length;
    return events;
  }
}
