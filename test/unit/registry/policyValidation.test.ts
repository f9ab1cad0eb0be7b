/** The policy body's checks: each bad field is refused with a message that names it and says why. */
import { describe, expect, it } from 'vitest';
import { gridPolicyBody, writtenPolicy } from '../../../registry/policy/policyFields.ts';

const messagesOf = (body: unknown): string[] => {
  const r = gridPolicyBody.safeParse(body);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('policy body', () => {
  it('takes any subset of the fields, durations as the environment writes them, null to remove', () => {
    const r = gridPolicyBody.parse({
      breachGrace: '0s',
      opensPerDay: 0,
      announceSpan: '15m',
      escalateAfter: ['2s', '1m', '1h'],
      lowBatteryPercent: 15.5,
      outageMinSilent: 3,
      outageFraction: 1,
    });
    expect(r).toEqual({
      breachGrace: 0,
      opensPerDay: 0,
      announceSpan: 900_000,
      escalateAfter: [2_000, 60_000, 3_600_000],
      lowBatteryPercent: 15.5,
      outageMinSilent: 3,
      outageFraction: 1,
    });
    expect(gridPolicyBody.parse({ opensPerDay: null })).toEqual({ opensPerDay: null });
    expect(gridPolicyBody.parse({})).toEqual({});
  });

  it.each([
    [{ breachGrace: '-5s' }, /breachGrace: breachGrace is not a duration/],
    [{ breachGrace: '2h' }, /breachGrace is at most 1h/],
    [{ announceSpan: '0s' }, /announceSpan is not a positive duration/],
    [{ opensPerDay: -1 }, /opensPerDay must be a whole number ≥ 0/],
    [{ opensPerDay: 2.5 }, /opensPerDay must be a whole number/],
    [{ opensPerDay: '5' }, /opensPerDay must be a whole number/],
    [{ escalateAfter: [] }, /escalateAfter must list at least one step/],
    [{ escalateAfter: ['5m', '2m'] }, /escalateAfter must list increasing durations/],
    [
      { escalateAfter: ['5m', 'soon'] },
      /escalateAfter.1: escalateAfter step 'soon' is not a positive duration/,
    ],
    [{ escalateAfter: '5m' }, /escalateAfter must be a list of durations/],
    [{ lowBatteryPercent: 0 }, /lowBatteryPercent must be above 0/],
    [{ lowBatteryPercent: 60 }, /lowBatteryPercent must be below 50/],
    [{ doorOpenLimit: '0s' }, /doorOpenLimit is not a positive duration/],
    [{ doorOpenLimit: '13h' }, /doorOpenLimit is at most 12h/],
    [{ outageMinSilent: 0 }, /outageMinSilent must be a whole number ≥ 1/],
    [{ outageFraction: 0 }, /outageFraction must be in \(0, 1\]: above 0/],
    [{ outageFraction: 1.5 }, /outageFraction must be in \(0, 1\]: at most 1/],
    [{ opensPerDy: 3 }, /Unrecognized key.*opensPerDy/],
  ])('refuses %j', (body, message) => {
    const messages = messagesOf(body);
    expect(messages.join('\n')).toMatch(message);
  });

  it('writes values back as people write them', () => {
    expect(
      writtenPolicy({
        breachGrace: 0,
        announceSpan: 900_000,
        escalateAfter: [2_000, 90_000],
        opensPerDay: 4,
      }),
    ).toEqual({
      breachGrace: '0s',
      announceSpan: '15m',
      escalateAfter: ['2s', '90s'],
      opensPerDay: 4,
    });
  });
});
