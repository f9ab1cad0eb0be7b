import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast (no sockets, no child processes);
// `integration` starts real servers (broker, SQLite files, InfluxDB, SMTP,
// Chromium) through test/helpers, each on free ports and a temporary DATA_DIR.
export default defineConfig({
  test: {
    // The service under test is the bundle `npm start` runs.
    globalSetup: ['test/setup/buildService.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
          // Projects with different worker counts run as groups, one after another.
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
          // Three files at a time: most of a file's time is spent waiting on real clocks (offline windows,
          // escalation steps, cron minutes, restarts), so they overlap well even on two cores.
          fileParallelism: true,
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          // Load, crash and fault tests measure the service: one at a time, alone.
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
