import type { Clock } from '../../core/clock.ts';

/** One server-sent event, serialised once and shared by every client that may see it. */
export interface LiveEvent {
  id: number;
  type: 'seal' | 'alert' | 'announcement' | 'reset';
  /** The grid node the event belongs to; clients see it when this is in their subtree. */
  gridId: string | null;
  data: string;
  at: number;
}

export interface LiveClient {
  /**
   * The subtree the client watches (null: the whole grid). Clients with the same scope see the
   * same events, so their frames are encoded once and the same bytes go to each of them.
   */
  readonly scope: string | null;
  /** The API token the stream was opened with: a revocation ends the stream. */
  readonly tokenId?: string;
  /** Whether this client may see events of the node. */
  sees(gridId: string | null): boolean;
  /** Writes frames now; false when the client is gone or was cut off. */
  write(chunk: string | Buffer): boolean;
  /** Ends the response (at shutdown). */
  close(): void;
}

/**
 * The live stream behind GET /api/events: a ring of recent events so a
 * reconnecting client resumes from Last-Event-ID without a gap, and fan-out
 * to connected clients filtered by their grid scope. A client too far behind
 * gets a `reset` event and reloads its state.
 *
 * Fan-out happens once per turn of the event loop: a commit group can change
 * hundreds of seals at once, and 200 clients × one write per event is what
 * saturated the process. The events of a turn are filtered and encoded once
 * per scope and written to each client of that scope in one write.
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
  /** Published in this turn of the event loop, not yet written to the clients. */
  private turn: LiveEvent[] = [];

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
    if (this.turn.length === 0) setImmediate(() => this.flush());
    this.turn.push(event);
    return event;
  }

  /** Writes this turn's events: encoded once per scope, one write per client. */
  flush(): void {
    const events = this.turn;
    if (events.length === 0) return;
    this.turn = [];
    const byScope = new Map<string | null, LiveClient[]>();
    for (const client of this.clients) {
      const group = byScope.get(client.scope);
      if (group) group.push(client);
      else byScope.set(client.scope, [client]);
    }
    for (const group of byScope.values()) {
      const first = group[0] as LiveClient;
      const visible = events.filter((e) => first.sees(e.gridId));
      if (visible.length === 0) continue;
      const chunk = Buffer.from(visible.map(EventStream.frame).join(''));
      for (const client of group) if (client.write(chunk)) this.delivered += visible.length;
    }
  }

  /**
   * Adds a client; replays what it missed since `lastEventId` (or tells it to reset). Events of
   * the current turn are not replayed: the turn's flush brings them, in order, after the replay.
   */
  attach(client: LiveClient, lastEventId: number | null): () => void {
    if (lastEventId !== null) {
      const oldest = this.ring[0]?.id ?? this.nextId;
      if (lastEventId + 1 < oldest) {
        client.write(
          EventStream.frame({
            id: this.nextId - 1 - this.turn.length,
            type: 'reset',
            gridId: null,
            data: '{}',
            at: this.clock.now(),
          }),
        );
      } else {
        const turnStart = this.turn[0]?.id ?? this.nextId;
        const missed = this.ring.filter(
          (e) => e.id > lastEventId && e.id < turnStart && client.sees(e.gridId),
        );
        if (missed.length > 0) client.write(missed.map(EventStream.frame).join(''));
      }
    }
    this.clients.add(client);
    return () => this.clients.delete(client);
  }

  /** Ends every stream, so shutting down does not wait for clients to leave. */
  closeAll(): void {
    this.flush();
    for (const client of this.clients) client.close();
    this.clients.clear();
  }

  /** Ends the streams opened with a token that was revoked; returns how many. */
  closeToken(tokenId: string): number {
    let n = 0;
    for (const client of this.clients) {
      if (client.tokenId !== tokenId) continue;
      client.close();
      this.clients.delete(client);
      n++;
    }
    return n;
  }

  stats(): { clients: number; lastEventId: number; delivered: number } {
    return { clients: this.clients.size, lastEventId: this.nextId - 1, delivered: this.delivered };
  }

  static frame(e: LiveEvent): string {
    return `id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`;
  }
}
