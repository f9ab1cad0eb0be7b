import { localDayStart, zoneOffsetMs } from './localTime.ts';

/**
 * The local day (TZ_LOCAL) a daily report covers: `YYYY-MM-DD` ↔ [local midnight, next local
 * midnight). A report run on day D reports on day D − 1, the last whole day.
 */

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const HOUR_MS = 60 * 60_000;

/** The day's [year, month, day], or null unless `day` is a real calendar date written `YYYY-MM-DD`. */
function partsOf(day: string): [number, number, number] | null {
  const m = DAY_PATTERN.exec(day);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return null;
  return [y, mo, d];
}

export const isReportDay = (day: string): boolean => partsOf(day) !== null;

/** The local day's bounds in epoch ms; DST days are 23 or 25 hours long. */
export function dayBounds(day: string, tz: string): { from: number; to: number } {
  const p = partsOf(day);
  if (!p) throw new RangeError(`not a day: "${day}"`);
  const noonUtc = Date.UTC(p[0], p[1] - 1, p[2], 12);
  // Local noon of that day: well inside it whatever the zone's offset.
  const from = localDayStart(noonUtc - zoneOffsetMs(noonUtc, tz), tz);
  return { from, to: localDayStart(from + 36 * HOUR_MS, tz) };
}

/** The calendar day before `day`. */
export function previousDay(day: string): string {
  const p = partsOf(day);
  if (!p) throw new RangeError(`not a day: "${day}"`);
  return new Date(Date.UTC(p[0], p[1] - 1, p[2] - 1)).toISOString().slice(0, 10);
}
