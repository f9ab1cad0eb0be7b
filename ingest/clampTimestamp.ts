/**
 * Device clocks drift and some sensors boot at 1970. A device time further
 * than this into the future, or older than this into the past, is replaced
 * by the receive time (the receive time is always recorded as well).
 */
export const MAX_FUTURE_MS = 60_000;
export const MAX_PAST_MS = 24 * 3_600_000;

export function clampTimestamp(ts: number, receivedAt: number): { ts: number; clamped: boolean } {
  if (ts > receivedAt + MAX_FUTURE_MS || ts < receivedAt - MAX_PAST_MS)
    return { ts: receivedAt, clamped: true };
  return { ts, clamped: false };
}
