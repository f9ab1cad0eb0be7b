import { describe, expect, it } from 'vitest';
import { DECODERS, decoderFor, sensorIdForTopic } from '../../../ingest/decoders/index.ts';

const names = new Map([
  ['front-door', 's-z01'],
  ['floor3/door', 's-z02'],
  ['shellydw2-8A1B2C', 's-sh01'],
]);
const lookup = (name: string) => names.get(name);

describe('decoderFor', () => {
  it.each([
    ['seal/s-001/event', 'native'],
    ['zigbee2mqtt/front-door', 'zigbee2mqtt'],
    ['shellies/shellydw2-8A1B2C/sensor/state', 'shelly'],
  ])('%s → %s', (topic, name) => {
    expect(decoderFor(topic)?.name).toBe(name);
  });

  it('no dialect claims foreign topics', () => {
    for (const topic of [
      'homeassistant/binary_sensor/x/config',
      'seals/x/event',
      'zigbee2mqt/x',
      '$SYS/broker',
    ]) {
      expect(decoderFor(topic)).toBeUndefined();
    }
  });

  it('dialect prefixes do not overlap', () => {
    for (const topic of ['seal/a/event', 'zigbee2mqtt/a', 'shellies/a/online']) {
      expect(DECODERS.filter((d) => d.matches(topic))).toHaveLength(1);
    }
  });
});

describe('sensorIdForTopic (scoped service clients read only their grid’s seals)', () => {
  it.each([
    ['seal/s-001/event', 's-001'],
    ['zigbee2mqtt/front-door', 's-z01'],
    ['zigbee2mqtt/front-door/availability', 's-z01'],
    ['zigbee2mqtt/floor3/door', 's-z02'],
    ['shellies/shellydw2-8A1B2C/sensor/state', 's-sh01'],
    ['shellies/shellydw2-8A1B2C/online', 's-sh01'],
  ])('%s → %s', (topic, id) => {
    expect(sensorIdForTopic(topic, lookup)).toBe(id);
  });

  it.each(['zigbee2mqtt/bridge/state', 'zigbee2mqtt/unknown', 'shellies/announce', 'other/x'])(
    '%s speaks for no registered sensor',
    (topic) => {
      expect(sensorIdForTopic(topic, lookup)).toBeUndefined();
    },
  );
});
