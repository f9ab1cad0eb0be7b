/** Retention: personal data past RETENTION_DAYS is purged daily at 03:30 local time, and once at start. */
import type { Logger } from '../../core/logger.ts';
import { scheduleRetentionPurge } from '../../registry/retentionSchedule.ts';
import type { ConfigSections } from '../configSections.ts';
import type { Component } from '../lifecycle.ts';
import type { StorageComponent } from './storage.ts';

export function startRetention(
  section: ConfigSections['retention'],
  deps: { storage: StorageComponent; logger: Logger },
): Component {
  const schedule = scheduleRetentionPurge(
    deps.storage.registry,
    section.days,
    section.tz,
    deps.logger.child({ component: 'retention' }),
  );
  return { name: 'retention', stop: () => schedule.stop() };
}
