import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicProblem } from '../../../broker/topicValidation.ts';

describe('topicProblem', () => {
  it.each([['seal/s1/event'], ['zigbee2mqtt/门磁 3楼'], ['a'.repeat(512)]])('%s is fine', (topic) => {
    expect(topicProblem(topic)).toBeNull();
  });

  it.each([
    ['', 'empty topic'],
    ['a'.repeat(513), 'topic longer than 512 characters'],
    ['seal/s1\u0000/event', 'topic contains NUL'],
    ['seal/s1/event/+', 'wildcards are not allowed in PUBLISH'],
    ['seal/#', 'wildcards are not allowed in PUBLISH'],
  ])('%j is refused: %s', (topic, problem) => {
    expect(topicProblem(topic)).toBe(problem);
  });

  it('refuses topics whose bytes were not valid UTF-8 (decoded by Node to U+FFFD)', () => {
    const topic = Buffer.from([0x73, 0x65, 0x61, 0x6c, 0x2f, 0xc3, 0x28]).toString('utf8');
    expect(topicProblem(topic)).toBe('topic is not valid UTF-8');
  });

  it('any topic with a wildcard, NUL or a replacement character is refused', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 100 }),
        fc.constantFrom('+', '#', '\u0000', '\uFFFD'),
        fc.string({ maxLength: 100 }),
        (a, bad, b) => {
          expect(topicProblem(a + bad + b)).not.toBeNull();
        },
      ),
    );
  });
});
