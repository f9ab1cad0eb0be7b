/**
 * Gives back the memory a login storm grew (issue 20.3). V8 grows its heap while thousands of logins
 * allocate, and would shrink it again only when the process goes idle (its memory reducer waits for a low
 * allocation rate), which a process whose seals heartbeat never does: without this, the RSS a restart
 * reached stays until the next restart. Once a burst of logins is over, one compacting collection
 * (compactHeap.ts) returns it. It pauses the process once per burst, for a time that grows with the heap
 * (measured: see deploy/README.md §15); messages wait through it, none is lost.
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { heapCompactor } from './compactHeap.ts';
import { LoginBursts } from './loginBursts.ts';

/** No new connection for this long ends a burst. */
const QUIET_MS = 2_000;
const CHECK_EVERY_MS = 500;

export interface MemoryReleaseStats {
  releases: number;
  /** The last release's pause, ms (0 before the first). */
  lastPauseMs: number;
  /**
   * V8 heap the last release gave back (committed before − after), bytes. RSS follows within seconds, as
   * V8's helper threads unmap the emptied pages, so it is not read at the pause.
   */
  lastHeapReleasedBytes: number;
}

const MiB = 2 ** 20;
const mib = (bytes: number) => Math.round(bytes / MiB);

export function startMemoryRelease(o: {
  /** TCP connections accepted since start. */
  accepted(): number;
  /** A burst of fewer logins leaves little to give back (MEMORY_RELEASE_AFTER_LOGINS). */
  minLogins: number;
  clock: Clock;
  logger: Logger;
}): { stats(): MemoryReleaseStats; stop(): void } {
  const stats: MemoryReleaseStats = { releases: 0, lastPauseMs: 0, lastHeapReleasedBytes: 0 };
  const compactor = heapCompactor();
  if ('unavailable' in compactor) {
    o.logger.warn({ why: compactor.unavailable }, 'memory is not given back after login storms');
    return { stats: () => stats, stop() {} };
  }
  const bursts = new LoginBursts(o.minLogins, QUIET_MS);
  const timer = setInterval(() => {
    const connections = bursts.observe(o.accepted(), o.clock.now());
    if (connections === 0) return;
    const { pauseMs, before, after } = compactor.compact();
    stats.releases++;
    stats.lastPauseMs = Math.round(pauseMs);
    stats.lastHeapReleasedBytes = Math.max(0, before.heapTotal - after.heapTotal);
    o.logger.info(
      {
        connections,
        pauseMs: stats.lastPauseMs,
        heapUsedMiB: [mib(before.heapUsed), mib(after.heapUsed)],
        heapTotalMiB: [mib(before.heapTotal), mib(after.heapTotal)],
        rssBeforeMiB: mib(before.rss),
      },
      'gave back the memory of a login burst',
    );
  }, CHECK_EVERY_MS);
  timer.unref();
  return { stats: () => stats, stop: () => clearInterval(timer) };
}
