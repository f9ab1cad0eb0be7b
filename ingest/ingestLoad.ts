import { performance } from 'node:perf_hooks';

/** Node's `performance.eventLoopUtilization`: totals since the start, or the change since a mark. */
export type LoopUtilization = (mark?: EventLoopUtilization) => EventLoopUtilization;
export interface EventLoopUtilization {
  idle: number;
  active: number;
  utilization: number;
}

const WINDOW_MS = 100;
const BUSY_UTILISATION = 0.75;
const BUSY_PER_MS = 16;

/**
 * Whether ingest is under load, which decides how long a commit group gathers (ingestPipeline.ts):
 * judged over the last WINDOW_MS, from the event loop's utilisation (Node's own counters: reading them
 * costs about a clock read) and the messages accepted in it. Busy: the loop busy more than
 * BUSY_UTILISATION of the window (a reconnect storm's logins), or at least BUSY_PER_MS messages a ms
 * (the closed-loop bench's 60,000–70,000 msg/s).
 *
 * Not from the last group's own rate: a load generator's burst of 26 messages in one loop turn read as
 * 26 a ms, and the next group gathered 4 ms. Not at half the loop either: at a steady 5,000 msg/s the
 * loop is 45–60 % busy, and a quarter of the groups gathered 4 ms.
 */
export class IngestLoad {
  private mark: EventLoopUtilization;
  private acceptedAtMark = 0;
  private wasBusy = false;

  constructor(
    private readonly utilization: LoopUtilization = (mark) => performance.eventLoopUtilization(mark),
  ) {
    this.mark = utilization();
  }

  /** `accepted`: messages accepted since the start. The answer holds until a whole window has passed. */
  busy(accepted: number): boolean {
    const since = this.utilization(this.mark);
    const elapsedMs = since.idle + since.active;
    if (elapsedMs >= WINDOW_MS) {
      this.wasBusy =
        since.utilization > BUSY_UTILISATION || (accepted - this.acceptedAtMark) / elapsedMs >= BUSY_PER_MS;
      this.mark = this.utilization();
      this.acceptedAtMark = accepted;
    }
    return this.wasBusy;
  }
}
