import type { EventBus } from '../../core/eventBus.ts';
import type { SealCommitted, ServiceEvents } from '../../core/events.ts';
import type { Registry } from '../../registry/registry.ts';
import { sealView } from '../views.ts';
import type { EventStream } from './eventStream.ts';

/**
 * Only what a monitor would see change goes out; a routine heartbeat does not. `lowBelow`: the
 * sensor's low-battery threshold (its model's, else its node's policy), as the counts use it.
 */
function visibleChange({ before, after }: SealCommitted, lowBelow: number): boolean {
  const low = (b: number | null) => b !== null && b < lowBelow;
  return (
    before.door !== after.door ||
    before.online !== after.online ||
    before.tamper !== after.tamper ||
    low(before.battery) !== low(after.battery) ||
    before.lastSeen === null
  );
}

/** Feeds the live stream from the bus: seal changes, alert changes and announced openings. */
export function connectLiveFeed(
  bus: EventBus<ServiceEvents>,
  stream: EventStream,
  registry: Registry,
  clock: { now(): number },
): void {
  bus.on('seal.committed', (c) => {
    const sensor = registry.sensor(c.after.sensorId);
    if (!sensor || !visibleChange(c, registry.lowBatteryThreshold(sensor, c.gridId))) return;
    stream.publish('seal', c.gridId, sealView(registry, sensor, c.after, clock.now()));
  });
  bus.on('alert.changed', ({ alert, change }) => stream.publish('alert', alert.gridId, { change, alert }));
  bus.on('announcement.made', (a) =>
    stream.publish('announcement', a.gridId, {
      ...a,
      start: new Date(a.start).toISOString(),
      end: new Date(a.end).toISOString(),
    }),
  );
}
