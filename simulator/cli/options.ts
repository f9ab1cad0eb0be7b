import { isIP } from 'node:net';
import { UsageError } from './usageError.ts';

export { durationOption } from './duration.ts';

interface IntBounds {
  min?: number;
  max?: number;
}

export function intOption(
  name: string,
  value: string | undefined,
  fallback: number,
  bounds?: IntBounds,
): number;
export function intOption(
  name: string,
  value: string | undefined,
  fallback?: undefined,
  bounds?: IntBounds,
): number | undefined;
export function intOption(
  name: string,
  value: string | undefined,
  fallback?: number,
  bounds: IntBounds = {},
): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--${name} must be a whole number (got "${value}")`);
  }
  if (bounds.min !== undefined && n < bounds.min)
    throw new UsageError(`--${name} must be at least ${bounds.min} (got ${n})`);
  if (bounds.max !== undefined && n > bounds.max)
    throw new UsageError(`--${name} must be at most ${bounds.max} (got ${n})`);
  return n;
}

/** An ISO-8601 time written with its zone (`Z` or `+08:00`), so processes on several machines agree on it. */
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** `--name 2026-12-05T21:40:00Z`: epoch milliseconds, or undefined when the option is not given. */
export function timeOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = ZONED_TIME.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(
      `--${name} must be a time with its zone, like 2026-12-05T21:40:00Z or 2026-12-06T05:40:00+08:00 (got "${value}")`,
    );
  return ms;
}

const IPV4_RANGE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})-(\d{1,3})$/;

/**
 * `--name 127.0.1.1-250,10.0.0.7`: local addresses, each an IP address or an IPv4 range over the last
 * octet; undefined when the option is not given.
 */
export function addressListOption(name: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const bad = (item: string) =>
    new UsageError(
      `--${name} must list addresses or ranges like 127.0.1.1-250,10.0.0.7 (got "${item}" in "${value}")`,
    );
  const addresses: string[] = [];
  for (const item of value.split(',').map((i) => i.trim())) {
    const range = IPV4_RANGE.exec(item);
    if (range) {
      const [a, b, c, from, to] = range.slice(1).map(Number) as [number, number, number, number, number];
      if ([a, b, c, from, to].some((o) => o > 255) || to < from) throw bad(item);
      for (let d = from; d <= to; d++) addresses.push(`${a}.${b}.${c}.${d}`);
    } else if (isIP(item) !== 0) {
      addresses.push(item);
    } else {
      throw bad(item);
    }
  }
  return addresses;
}

export function numberOption(
  name: string,
  value: string | undefined,
  fallback: number,
  bounds: { min?: number; max?: number } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a number (got "${value}")`);
  if (bounds.min !== undefined && n < bounds.min)
    throw new UsageError(`--${name} must be at least ${bounds.min} (got ${n})`);
  if (bounds.max !== undefined && n > bounds.max)
    throw new UsageError(`--${name} must be at most ${bounds.max} (got ${n})`);
  return n;
}

export function choiceOption<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got "${value}")`);
  }
  return value as T;
}

export function brokerUrlOption(value: string | undefined, fallback = 'mqtt://127.0.0.1:1883'): string {
  const url = value ?? fallback;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url must be a broker URL like mqtt://127.0.0.1:1883 (got "${url}")`);
  }
  if (!['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:'].includes(parsed.protocol)) {
    throw new UsageError(`--url must use mqtt://, mqtts://, ws:// or wss:// (got "${url}")`);
  }
  return url;
}

export function apiUrlOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new UsageError(`--api must be an HTTP base URL like http://127.0.0.1:8080 (got "${value}")`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--api must be an http:// or https:// URL (got "${value}")`);
  }
  return value.replace(/\/+$/, '');
}

/** Converts node:util parseArgs' own errors (unknown option, missing value) into one readable line. */
export function describeParseArgsError(err: unknown): UsageError {
  const message = err instanceof Error ? err.message : String(err);
  return new UsageError(message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
}

/** Runs node:util parseArgs, turning its errors into a one-line usage error. */
export function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw describeParseArgsError(err);
  }
}
