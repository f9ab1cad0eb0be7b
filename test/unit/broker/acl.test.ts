import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe } from '../../../broker/acl.ts';
import type { Identity } from '../../../broker/identity.ts';

const sensor: Identity = { kind: 'sensor', id: 's1' };
const gateway: Identity = { kind: 'gateway', id: 'gw1', sensorIds: new Set(['s2', 's3']) };
const service = (role: string): Identity => ({
  kind: 'service',
  tokenId: 't1',
  role,
  gridId: null,
  name: 'desk',
  expiresAt: null,
});

describe('canPublish', () => {
  it.each([
    ['seal/s1/event', true],
    ['seal/s1/heartbeat', true],
    ['seal/s1/status', true],
    ['seal/s1/config', false],
    ['seal/s2/event', false],
    ['seal/s1/other', false],
    ['seal/s1/event/x', false],
    ['zigbee2mqtt/door', false],
    ['shellies/shellydw2-8A1B2C/sensor/state', false],
  ])('a sensor s1 → %s: %s', (topic, allowed) => {
    expect(canPublish(sensor, topic)).toBe(allowed);
  });

  it.each([
    ['seal/s2/event', true],
    ['seal/s3/heartbeat', true],
    ['seal/s2/config', false],
    ['seal/s1/event', false],
    ['seal/gw1/event', false],
    ['zigbee2mqtt/front-door', true],
    ['zigbee2mqtt/front-door/availability', true],
    ['shellies/shellydw2-8A1B2C/sensor/state', true],
    ['zigbee2mqttx/door', false],
    ['other/topic', false],
  ])('a gateway for s2,s3 → %s: %s', (topic, allowed) => {
    expect(canPublish(gateway, topic)).toBe(allowed);
  });

  it('service clients write only sensors’ config, and only as admin or technician', () => {
    expect(canPublish(service('admin'), 'seal/s1/config')).toBe(true);
    expect(canPublish(service('technician'), 'seal/s1/config')).toBe(true);
    expect(canPublish(service('monitor'), 'seal/s1/config')).toBe(false);
    expect(canPublish(service('admin'), 'seal/s1/event')).toBe(false);
    expect(canPublish(service('admin'), 'zigbee2mqtt/door')).toBe(false);
  });

  it('a sensor never publishes outside seal/<its id>/ (any topic)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (topic) => {
        if (canPublish(sensor, topic)) expect(topic.startsWith('seal/s1/')).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom('s1', 's2', 'x'), fc.string({ maxLength: 12 }), (id, rest) => {
        const topic = `seal/${id}/${rest}`;
        if (canPublish(sensor, topic)) expect(id).toBe('s1');
      }),
    );
  });
});

describe('canSubscribe', () => {
  it.each([
    ['seal/s1/config', true],
    ['seal/s1/#', false],
    ['seal/+/config', false],
    ['seal/s2/config', false],
    ['seal/s1/event', false],
    ['#', false],
  ])('a sensor s1 → %s: %s', (filter, allowed) => {
    expect(canSubscribe(sensor, filter)).toBe(allowed);
  });

  it.each([
    ['seal/s2/config', true],
    ['seal/s3/config', true],
    ['seal/s1/config', false],
    ['seal/+/config', false],
    ['seal/#', false],
    ['zigbee2mqtt/#', false],
    ['#', false],
  ])('a gateway for s2,s3 → %s: %s', (filter, allowed) => {
    expect(canSubscribe(gateway, filter)).toBe(allowed);
  });

  it.each([
    ['seal/#', true],
    ['seal/+/event', true],
    ['zigbee2mqtt/#', true],
    ['shellies/+/sensor/state', true],
    ['#', false],
    ['+/+/event', false],
    ['$SYS/#', false],
    ['sealx/#', false],
  ])('a service client → %s: %s', (filter, allowed) => {
    expect(canSubscribe(service('monitor'), filter)).toBe(allowed);
  });
});
