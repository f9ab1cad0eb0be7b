// Loaded into a service process with `node --import` by bench/alert-storm-pg.bench.ts: measures that
// process's event-loop delay (perf_hooks.monitorEventLoopDelay) without touching its code. On SIGUSR2
// it writes the delays since the last signal (ms) to LOOP_DELAY_FILE, then starts a new window.
// The histogram holds whole intervals between its timer's runs (an idle loop shows ~10 ms at 10 ms
// resolution): the delay is what lies beyond the resolution.
// Plain JavaScript: it is imported next to the bundle (dist/main.js), which has no TypeScript loader.
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.LOOP_DELAY_FILE;
if (file) {
  // Node's default sampling period (as prom-client's nodejs_eventloop_lag_* gauges use it).
  const RESOLUTION_MS = 10;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let window = 0;
  process.on('SIGUSR2', () => {
    const ms = (ns) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
    const report = {
      window: ++window,
      samples: histogram.count,
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
    };
    histogram.reset();
    writeFileSync(`${file}.tmp`, JSON.stringify(report));
    renameSync(`${file}.tmp`, file);
  });
}
