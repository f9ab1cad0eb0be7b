import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../api/metrics.ts';
import { BackupRecord } from '../../../app/components/backup.ts';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import { createLogger } from '../../../core/logger.ts';
import { idleMetricSources } from '../../helpers/metricSources.ts';

const sources = idleMetricSources();
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
