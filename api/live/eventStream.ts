import type { Clock } from '../../core/clock.ts';

/** One server-sent event, serialised once and shared by every client that may see it. */
export interface LiveEvent {
  id: number;
  type: 'seal' | 'alert' | 'reset';
  /** The grid node the event belongs to; clients see it when this is in their subtree. */
  gridId: string | null;
  data: string;
  at: number;
}

export interface LiveClient {
  /** Whether this client may see events of the node. */
  sees(gridId: string | null): boolean;
  send(frame: string): boolean;
  /** Ends the response (at shutdown). */
  close(): void;
}

/**
 * The live stream behind GET /api/events: a ring of recent events so a
 * reconnecting client resumes from Last-Event-ID without a gap, and fan-out
 * to connected clients filtered by their grid scope. A client too far behind
 * gets a `reset` event and reloads its state.
 */
export class EventStream {
  private readonly ring: LiveEvent[] = [];
  /**
   * Ids start from the clock (µs since the epoch) so they keep growing across
   * restarts: a client resuming with an id from before a restart is older
   * than anything in the ring and is told to reset, not silently skipped.
   */
  private nextId: number;
  private readonly clients = new Set<LiveClient>();
  private delivered = 0;

  constructor(
    private readonly clock: Clock,
    private readonly capacity = 20_000,
  ) {
    this.nextId = clock.now() * 1000;
  }

  publish(type: LiveEvent['type'], gridId: string | null, payload: unknown): LiveEvent {
    const event: LiveEvent = {
      id: this.nextId++,
      type,
      gridId,
      data: JSON.stringify(payload),
      at: this.clock.now(),
    };
    this.ring.push(event);
    // Trimmed in chunks: moving the whole ring on every event would cost O(capacity) per event.
    if (this.ring.length > this.capacity * 1.25) this.ring.splice(0, this.ring.length - this.capacity);
    const frame = EventStream.frame(event);
    for (const client of this.clients) {
      if (client.sees(gridId)) {
        client.send(frame);
        this.delivered++;
      }
    }
    return event;
  }

  /** Adds a client; replays what it missed since `lastEventId` (or tells it to reset). */
  attach(client: LiveClient, lastEventId: number | null): () => void {
    if (lastEventId !== null) {
      const oldest = this.ring[0]?.id ?? this.nextId;
      if (lastEventId + 1 < oldest) {
        client.send(
          EventStream.frame({
            id: this.nextId - 1,
            type: 'reset',
            gridId: null,
            data: '{}',
            at: this.clock.now(),
          }),
        );
      } else {
        for (const e of this.ring)
          if (e.id > lastEventId && client.sees(e.gridId)) client.send(EventStream.frame(e));
      }
    }
    this.clients.add(client);
    return () => this.clients.delete(client);
  }

  /** Ends every stream, so shutting down does not wait for clients to leave. */
  closeAll(): void {
    for (const client of this.clients) client.close();
    this.clients.clear();
  }

  stats(): { clients: number; lastEventId: number; delivered: number } {
    return { clients: this.clients.size, lastEventId: this.nextId - 1, delivered: this.delivered };
  }

  static frame(e: LiveEvent): string {
    return `id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`;
  }
}
