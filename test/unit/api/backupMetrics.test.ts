import { describe, expect, it } from 'vitest';
import { createMetrics, type MetricSources } from '../../../api/metrics.ts';
import { BackupRecord } from '../../../app/components/backup.ts';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import { createLogger } from '../../../core/logger.ts';

const sources: MetricSources = {
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
};
const bus = () => new EventBus<ServiceEvents>(createLogger('silent'));

describe('backup metrics', () => {
  it('are left out without scheduled backups (an alert on their age must not fire for a PostgreSQL site)', async () => {
    expect(await createMetrics(bus(), sources).text()).not.toMatch(/sealwatch_backup_/);
  });

  it('read 0 before the first backup, then the last success, its size and duration, and the failures', async () => {
    const record = new BackupRecord();
    const metrics = createMetrics(bus(), { ...sources, backup: record });
    const before = await metrics.text();
    expect(before).toMatch(/^sealwatch_backup_last_success_timestamp_seconds 0$/m);
    expect(before).toMatch(/^sealwatch_backup_failures_total 0$/m);
    expect(before).toMatch(/^# TYPE sealwatch_backup_failures_total counter$/m);

    record.lastSuccessAt = 1_700_000_000_500;
    record.lastBytes = 12_345;
    record.lastDurationMs = 2_500;
    record.failures = 2;
    const after = await metrics.text();
    expect(after).toMatch(/^sealwatch_backup_last_success_timestamp_seconds 1700000000\.5$/m);
    expect(after).toMatch(/^sealwatch_backup_last_bytes 12345$/m);
    expect(after).toMatch(/^sealwatch_backup_last_duration_seconds 2\.5$/m);
    expect(after).toMatch(/^sealwatch_backup_failures_total 2$/m);
  });
});
