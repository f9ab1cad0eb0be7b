import { describe, expect, it } from 'vitest';
import { QrThrottle } from '../../../alerting/engine/qrThrottle.ts';

describe("a QR code's throttle", () => {
  it('lets `limit` tries through in the window, then says how long to wait, and slides', () => {
    const throttle = new QrThrottle({ limit: 3, windowMs: 60_000 });
    expect([0, 1_000, 2_000].map((t) => throttle.take('code', t))).toEqual([0, 0, 0]);
    // The first try leaves the window at 60 s: 30 s from 30 s.
    expect(throttle.take('code', 30_000)).toBe(30);
    expect(throttle.take('other', 30_000)).toBe(0);
    expect(throttle.take('code', 60_001)).toBe(0);
    expect(throttle.take('code', 60_002)).toBe(1);
  });
});
