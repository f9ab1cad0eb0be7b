import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../api/metrics.ts';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import { createLogger } from '../../../core/logger.ts';
import { idleMetricSources } from '../../helpers/metricSources.ts';

describe('/metrics', () => {
  let sealCountsAsked = 0;
  const metrics = createMetrics(
    new EventBus<ServiceEvents>(createLogger('silent')),
    idleMetricSources({
      broker: () => ({
        connected: 7,
        connectionsOpened: 9,
        pendingConnects: 2,
        refused: {},
        closed: {},
        offlineLookupsSkipped: 41,
      }),
      seals: () => {
        sealCountsAsked++;
        return { total: 0, open: 0, offline: 0, lowBattery: 0, armed: 0 };
      },
      outboxOldestWaitingMs: async () => 312_500,
      ready: () => false,
    }),
  );

  it('shows CONNECTs waiting for their CONNACK as a gauge', async () => {
    expect(await metrics.text()).toMatch(/^sealwatch_mqtt_connects_pending 2$/m);
  });

  it('shows the messages whose offline-queue lookup the broker skipped (single node)', async () => {
    expect(await metrics.text(['sealwatch_mqtt_offline_lookups_skipped'])).toMatch(
      /^sealwatch_mqtt_offline_lookups_skipped 41$/m,
    );
  });

  it('shows how long the oldest unsent notification waits, in seconds, and readiness as 1/0', async () => {
    const text = await metrics.text(['sealwatch_outbox_oldest_waiting_seconds', 'sealwatch_ready']);
    expect(text).toMatch(/^sealwatch_outbox_oldest_waiting_seconds 312.5$/m);
    expect(text).toMatch(/^sealwatch_ready 0$/m);
  });

  it('answers only the named metrics, without computing the others; unknown names are skipped', async () => {
    sealCountsAsked = 0;
    const text = await metrics.text([
      'sealwatch_mqtt_connections',
      'nope',
      'sealwatch_mqtt_connects_pending',
    ]);
    expect(text).toMatch(/^sealwatch_mqtt_connections 7$/m);
    expect(text).toMatch(/^sealwatch_mqtt_connects_pending 2$/m);
    expect(text).not.toMatch(/sealwatch_seals|sealwatch_process_/);
    expect(sealCountsAsked).toBe(0);
  });
});
