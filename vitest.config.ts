import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/setup/longestFirstSequencer.ts';

// Three projects: `unit` is pure and fast (no sockets, no child processes); `integration` starts
// real servers (broker, SQLite files, InfluxDB, SMTP, Chromium) through test/helpers, each on free
// ports and a temporary DATA_DIR; `reliability` loads, crashes and starves the service.
//
// All three run as one pool of four workers, longest files first. Most of a file's time is spent
// waiting on real clocks (offline windows, escalation steps, cron minutes, restarts, kill -9 and
// back): the machine sat 40 % idle with three integration workers and 73 % idle while the
// reliability files ran one at a time after them. No test asserts a duration, so sharing the
// machine makes files slower, never wrong.
const WORKERS = 4;

export default defineConfig({
  test: {
    // The service under test is the bundle `npm start` runs.
    globalSetup: ['test/setup/buildService.ts'],
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // expect.poll's 1 s default is shorter than one password check (scrypt) on a loaded two-core
          // machine: pages that wait on a sign-in failed that way in CI-like runs. A poll that succeeds
          // returns at once, so a longer ceiling costs nothing when things are fine.
          expect: { poll: { timeout: 10_000 } },
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
    ],
  },
});
