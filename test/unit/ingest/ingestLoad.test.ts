/**
 * When ingest counts as under load (ingest/ingestLoad.ts): over a 100 ms window, the event loop busy
 * more than three quarters of it, or 16 messages a ms. The loop's counters are a DOUBLE of Node's
 * `performance.eventLoopUtilization` that the test advances, so that windows are exact.
 */
import { describe, expect, it } from 'vitest';
import { type EventLoopUtilization, IngestLoad } from '../../../ingest/ingestLoad.ts';

/** Node's counters, advanced by hand: `run(ms, busyShare)`. */
function loopCounters() {
  const total = { idle: 0, active: 0 };
  const read = (mark?: EventLoopUtilization): EventLoopUtilization => {
    const idle = total.idle - (mark?.idle ?? 0);
    const active = total.active - (mark?.active ?? 0);
    return { idle, active, utilization: idle + active === 0 ? 0 : active / (idle + active) };
  };
  return {
    read,
    run(ms: number, busyShare: number) {
      total.active += ms * busyShare;
      total.idle += ms * (1 - busyShare);
    },
  };
}

describe('IngestLoad: is ingest under load', () => {
  it('a burst in one loop turn, then a quiet window: not busy', () => {
    const loop = loopCounters();
    const load = new IngestLoad(loop.read);
    expect(load.busy(30)).toBe(false);
    loop.run(100, 0.1);
    expect(load.busy(31)).toBe(false);
  });

  it('5,000 messages a second with the loop 60 % busy: not busy (the steady rate PUBACK latency is judged at)', () => {
    const loop = loopCounters();
    const load = new IngestLoad(loop.read);
    loop.run(100, 0.6);
    expect(load.busy(500)).toBe(false);
  });

  it('at least 16 messages a ms over the window: busy, until a window without them', () => {
    const loop = loopCounters();
    const load = new IngestLoad(loop.read);
    loop.run(100, 0.4);
    expect(load.busy(1_600)).toBe(true);
    // Within the next window the answer holds.
    loop.run(50, 0.1);
    expect(load.busy(1_610)).toBe(true);
    loop.run(50, 0.1);
    expect(load.busy(1_620)).toBe(false);
  });

  it('15 messages a ms is not busy; the loop busy more than three quarters of the time is (a login storm)', () => {
    const loop = loopCounters();
    const load = new IngestLoad(loop.read);
    loop.run(100, 0.5);
    expect(load.busy(1_500)).toBe(false);
    loop.run(100, 0.8);
    expect(load.busy(1_510)).toBe(true);
  });
});
