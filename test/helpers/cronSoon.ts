import { localParts } from '../../alerting/localTime.ts';

const MINUTE_MS = 60_000;

/**
 * The first minute boundary at least `leadMs` from now, and a daily cron that fires then in `tz`.
 * A test that sets up state before a scheduled run uses it instead of "every minute", which can fire
 * half-way through the set-up (a run archives once per day: a half-built grid would stay archived).
 */
export function cronAtNextMinute(leadMs: number, tz: string): { at: number; cron: string } {
  const at = Math.ceil((Date.now() + leadMs) / MINUTE_MS) * MINUTE_MS;
  const p = localParts(at, tz);
  return { at, cron: `${p.minute} ${p.hour} * * *` };
}
