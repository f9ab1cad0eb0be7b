/**
 * Resolves when the run should end: after `durationMs` (if given), on Ctrl-C (SIGINT) or SIGTERM, or when
 * `abort` is called. A second Ctrl-C while shutting down exits at once, as people expect.
 */
export interface StopSignal {
  done: Promise<'duration' | 'interrupted' | 'finished'>;
  finish(): void;
  dispose(): void;
}

export function stopSignal(durationMs?: number): StopSignal {
  let resolve!: (why: 'duration' | 'interrupted' | 'finished') => void;
  const done = new Promise<'duration' | 'interrupted' | 'finished'>((r) => {
    resolve = r;
  });
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    resolve('interrupted');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timer = durationMs === undefined ? null : setTimeout(() => resolve('duration'), durationMs);
  return {
    done,
    finish: () => resolve('finished'),
    dispose: () => {
      if (timer) clearTimeout(timer);
      // Keep a no-op handler for a moment so a late second Ctrl-C during cleanup still exits rather than
      // killing the process mid-summary; removed by process exit.
      process.off('SIGTERM', onSignal);
    },
  };
}
