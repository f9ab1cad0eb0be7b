import type { ServerResponse } from 'node:http';
import type { LiveClient } from './eventStream.ts';

export interface SseConnectionOptions {
  /** The subtree watched (null: the whole grid); clients of one scope share encoded frames. */
  scope: string | null;
  /** The API token the stream was opened with (EventStream.closeToken). */
  tokenId?: string;
  /** Whether the client may see events of this grid node (its scope). */
  sees(gridId: string): boolean;
  /** Bytes the socket may hold unsent before the client counts as stalled and is cut off. */
  maxBufferedBytes: number;
  /** Called once when the connection ends, whoever ended it. */
  onEnd(reason: 'cutOff' | 'closed' | 'error'): void;
}

/**
 * One event-stream response (the EventStream batches what it writes, one write per turn). A
 * client that stops reading is cut off (its socket destroyed, its buffer freed) instead of
 * buffered without bound; it reconnects with Last-Event-ID and catches up from the ring.
 * Nothing is written after the end: a write to an ended response raises an error event that
 * would otherwise end the process.
 */
export class SseConnection implements LiveClient {
  readonly scope: string | null;
  readonly tokenId: string | undefined;
  private ended = false;
  /** Visibility per grid node, dropped when the grid tree changes (`treeVersion`). */
  private readonly visible = new Map<string, boolean>();
  private visibleAt = -1;

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: SseConnectionOptions,
    private readonly treeVersion: () => number,
  ) {
    this.scope = opts.scope;
    this.tokenId = opts.tokenId;
    res.on('error', () => this.end('error'));
    res.on('close', () => this.end('closed'));
  }

  sees(gridId: string | null): boolean {
    if (gridId === null) return true;
    const version = this.treeVersion();
    if (version !== this.visibleAt) {
      this.visible.clear();
      this.visibleAt = version;
    }
    let seen = this.visible.get(gridId);
    if (seen === undefined) {
      seen = this.opts.sees(gridId);
      this.visible.set(gridId, seen);
    }
    return seen;
  }

  write(chunk: string | Buffer): boolean {
    if (this.ended) return false;
    if (this.res.writableEnded || this.res.destroyed) {
      this.end('closed');
      return false;
    }
    if (this.res.writableLength > this.opts.maxBufferedBytes) {
      this.end('cutOff');
      this.res.destroy();
      return false;
    }
    this.res.write(chunk);
    return true;
  }

  /** A comment line, so proxies and the browser see the connection is alive. */
  keepalive(): void {
    this.write(': keepalive\n\n');
  }

  close(): void {
    if (this.ended) return;
    this.end('closed');
    this.res.end();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  private end(reason: 'cutOff' | 'closed' | 'error'): void {
    if (this.ended) return;
    this.ended = true;
    this.opts.onEnd(reason);
  }
}
