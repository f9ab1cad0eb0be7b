import { type EventLoopUtilization, performance } from 'node:perf_hooks';

/**
 * Whether ingest is under load: what decides how long a commit group gathers (ingestPipeline.ts).
 *
 * Judged over the last BUSY_WINDOW_MS, never by one group: BUSY_PER_MS messages a ms committed, or an
 * event loop busy more than BUSY_UTILISATION of the time (a reconnect storm's logins). Judged by one
 * group, a light load looked heavy: a load generator (and a gateway) sends in bursts, and a burst of
 * 16 messages read in one loop turn is 16 a ms; with the loop's share at half, a steady 5,000 msg/s
 * (the service at 0.40–0.49 of a core, its loop's share past half in some windows) sent 7 % of its
 * groups into the gap meant for load (issue 20.1).
 */
const BUSY_PER_MS = 16;
const BUSY_WINDOW_MS = 100;
const BUSY_UTILISATION = 0.8;

export interface LoadGauge {
  /** Messages just handed to the store. */
  count(messages: number): void;
  busy(): boolean;
}

/** The event loop's idle and active ms since the process started: Node's own counters. */
export type LoopUtilisation = () => Pick<EventLoopUtilization, 'idle' | 'active'>;

const nodeLoop: LoopUtilisation = () => performance.eventLoopUtilization();

/**
 * Reading Node's utilisation counters costs no more than a clock read: one per question. A window
 * ends at the first question after BUSY_WINDOW_MS; its answer holds until the next window ends.
 */
export class IngestLoad implements LoadGauge {
  /** The counters when the current window began: one reading ends a window and begins the next. */
  private mark: Pick<EventLoopUtilization, 'idle' | 'active'>;
  private messages = 0;
  private wasBusy = false;

  constructor(private readonly utilisation: LoopUtilisation = nodeLoop) {
    this.mark = utilisation();
  }

  count(messages: number): void {
    this.messages += messages;
  }

  busy(): boolean {
    const now = this.utilisation();
    const active = now.active - this.mark.active;
    const ms = now.idle - this.mark.idle + active;
    if (ms >= BUSY_WINDOW_MS) {
      this.wasBusy = active / ms > BUSY_UTILISATION || this.messages / ms >= BUSY_PER_MS;
      this.mark = now;
      this.messages = 0;
    }
    return this.wasBusy;
  }
}
