import { describe, expect, it } from 'vitest';
import { topicMatches } from '../../../broker/topicMatches.ts';

/** MQTT 3.1.1 section 4.7 (Topic Names and Topic Filters), including its examples. */
describe('topicMatches (broker/topicMatches.ts)', () => {
  it.each([
    // 4.7.1.2 Multi-level wildcard
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'sport/tennis', true],
    ['sport/#', 'sports', false],
    // 4.7.1.3 Single level wildcard
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['+/+', '/', true],
    ['a/b/+', 'a/b/', true],
    ['a/b/+', 'a/b', false],
    ['+/tennis/#', 'sport/tennis', true],
    // 4.7.2 Topics beginning with $
    ['#', '$SYS/broker', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    // 4.7.3 Topic semantic: case-sensitive, exact levels
    ['ACCOUNTS', 'Accounts', false],
    ['seal/+/config', 'seal/s1/config', true],
    ['seal/+/config', 'seal/s1/config/x', false],
    ['seal/s1', 'seal/s1/config', false],
    ['seal/s1/config', 'seal/s1', false],
    ['seal/s1/config', 'seal/s1/conf', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});
