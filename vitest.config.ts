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
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 10_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Servers are heavy on a two-core machine: run files one at a time.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
