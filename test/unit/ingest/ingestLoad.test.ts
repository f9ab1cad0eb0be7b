/**
 * What counts as load for ingest's commit groups (issue 20.1): judged over a 100 ms window, so a
 * steady light rate that arrives in bursts stays light, while a high rate or an event loop busy with
 * something else (a reconnect storm's logins) is load. The event loop's counters are the test's own
 * (`FakeLoop`): a test cannot make the real loop busy a given share of a window.
 */
import { describe, expect, it } from 'vitest';
import { IngestLoad } from '../../../ingest/ingestLoad.ts';

/** Cumulative idle and active ms, as Node's performance.eventLoopUtilization() reads them. */
class FakeLoop {
  private idle = 0;
  private active = 0;

  readonly read = () => ({ idle: this.idle, active: this.active });

  run(ms: number, busyShare: number): void {
    this.active += ms * busyShare;
    this.idle += ms * (1 - busyShare);
  }
}

function rig() {
  const loop = new FakeLoop();
  return { loop, load: new IngestLoad(loop.read) };
}

describe('IngestLoad', () => {
  // At 5,000 msg/s the service took 0.40–0.49 of a core on this machine, and its loop's share passed
  // half in some windows. Two windows of bursts, so that the answer is not only the first window's.
  it('is light at a steady 5,000 msg/s on a loop busy 60 % of the time, though each burst is 16 messages in one turn', () => {
    const { loop, load } = rig();
    for (let burst = 0; burst < 62; burst++) {
      loop.run(100 / 31, 0.6);
      load.count(16);
      expect(load.busy()).toBe(false);
    }
  });

  it.each([
    ['at 16 messages a ms over the window', 0.5, 1_600],
    ['when the loop is busy over 80 % of the window, whatever the messages (a reconnect storm)', 0.85, 50],
  ])('is load %s', (_, busyShare, messages) => {
    const { loop, load } = rig();
    loop.run(100, busyShare);
    load.count(messages);
    expect(load.busy()).toBe(true);
  });

  it('keeps a window’s answer until the next window ends, and counts each window’s messages afresh', () => {
    const { loop, load } = rig();
    loop.run(100, 0.5);
    load.count(2_000);
    expect(load.busy()).toBe(true);
    loop.run(50, 0.1);
    expect(load.busy()).toBe(true);
    loop.run(60, 0.1);
    load.count(100);
    expect(load.busy()).toBe(false);
  });
});
