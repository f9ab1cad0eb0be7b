import type { MetricSources } from '../../api/metrics.ts';

/** Metric sources of an idle service (nothing connected, counted or queued); a test overrides what it reads. */
export function idleMetricSources(overrides: Partial<MetricSources> = {}): MetricSources {
  return {
    broker: () => null,
    ingest: () => ({ accepted: 0, duplicates: 0, commits: 0, commitFailures: 0, clamped: 0 }),
    seals: () => ({ total: 0, open: 0, offline: 0, lowBattery: 0, armed: 0 }),
    alerts: () => [],
    outbox: async () => ({}),
    outboxOldestWaitingMs: async () => 0,
    ready: () => true,
    telemetry: () => ({
      kind: 'none',
      queued: 0,
      spooledBytes: 0,
      written: 0,
      retried: 0,
      refused: 0,
      dropped: 0,
      movedInTime: 0,
    }),
    ...overrides,
  };
}
