import { UsageError } from './usageError.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses `500ms`, `90s`, `5m`, `2h` (the SPEC's duration syntax) into milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  const [, amount, unit] = match as unknown as [string, string, string];
  return Math.round(Number(amount) * (UNIT_MS[unit] ?? Number.NaN));
}

/**
 * Durations in scenario files may be sums of terms, each a duration optionally multiplied by a count:
 * `3 * 10s + 20s`. This keeps example scenarios readable when their timing follows the service's settings.
 */
export function parseDurationExpression(text: string): number | null {
  let total = 0;
  for (const term of text.split('+')) {
    const factors = term.split('*').map((f) => f.trim());
    let product: number | null = null;
    let durations = 0;
    for (const factor of factors) {
      const duration = parseDuration(factor);
      let value: number;
      if (duration !== null) {
        durations += 1;
        value = duration;
      } else if (/^\d+(\.\d+)?$/.test(factor)) {
        value = Number(factor);
      } else {
        return null;
      }
      product = product === null ? value : product * value;
    }
    if (product === null || durations !== 1) return null;
    total += product;
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.floor((ms % 3_600_000) / 60_000)}m`;
}

export function durationOption(name: string, value: string | undefined, fallback: number): number;
export function durationOption(
  name: string,
  value: string | undefined,
  fallback?: undefined,
): number | undefined;
export function durationOption(
  name: string,
  value: string | undefined,
  fallback?: number,
): number | undefined {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === null)
    throw new UsageError(`--${name} must be a duration like 500ms, 90s, 5m or 2h (got "${value}")`);
  return ms;
}
