import type { EventBus } from '../../core/eventBus.ts';
import type { SealCommitted, ServiceEvents } from '../../core/events.ts';
import { LOW_BATTERY_PCT } from '../../core/sealState.ts';
import type { Registry } from '../../registry/registry.ts';
import { sealView } from '../views.ts';
import type { EventStream } from './eventStream.ts';

/** Only what a monitor would see change goes out; a routine heartbeat does not. */
function visibleChange({ before, after }: SealCommitted): boolean {
  const low = (b: number | null) => b !== null && b < LOW_BATTERY_PCT;
  return (
    before.door !== after.door ||
    before.online !== after.online ||
    before.tamper !== after.tamper ||
    low(before.battery) !== low(after.battery) ||
    before.lastSeen === null
  );
}

/** Feeds the live stream from the bus: seal changes and alert changes. */
export function connectLiveFeed(
  bus: EventBus<ServiceEvents>,
  stream: EventStream,
  registry: Registry,
  clock: { now(): number },
): void {
  bus.on('seal.committed', (c) => {
    if (!visibleChange(c)) return;
    const sensor = registry.sensor(c.after.sensorId);
    if (!sensor) return;
    stream.publish('seal', c.gridId, sealView(registry, sensor, c.after, clock.now()));
  });
  bus.on('alert.changed', ({ alert, change }) => stream.publish('alert', alert.gridId, { change, alert }));
}
