/**
 * Wall-clock views of an instant in TZ_LOCAL. Uses Intl (full ICU ships with Node 20), never the
 * process time zone, so results do not depend on where the service runs.
 */

const partFormatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = partFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partFormatters.set(tz, f);
  }
  return f;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localParts(ts: number, tz: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatterFor(tz).formatToParts(ts)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 0,
    month: out.month ?? 0,
    day: out.day ?? 0,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYY-MM-DD` of the local calendar day containing `ts`. */
export function localDayKey(ts: number, tz: string): string {
  const p = localParts(ts, tz);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** `YYYY-MM-DD HH:mm:ss` in the zone; the format reads the same in zh-CN and en. */
export function formatLocalTime(ts: number, tz: string): string {
  const p = localParts(ts, tz);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** Offset of the zone from UTC at `ts`, in ms (e.g. +8 h for Asia/Shanghai). */
export function zoneOffsetMs(ts: number, tz: string): number {
  const p = localParts(ts, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (ts - (((ts % 1000) + 1000) % 1000));
}

/** Epoch ms of local midnight starting the day that contains `ts` (DST-safe by re-checking the offset). */
export function localDayStart(ts: number, tz: string): number {
  const p = localParts(ts, tz);
  const midnightAsUtc = Date.UTC(p.year, p.month - 1, p.day);
  let guess = midnightAsUtc - zoneOffsetMs(ts, tz);
  // The offset at midnight can differ from the offset at `ts` on DST-change days.
  guess = midnightAsUtc - zoneOffsetMs(guess, tz);
  return guess;
}
