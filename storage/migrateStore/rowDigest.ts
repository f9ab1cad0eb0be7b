/**
 * A table's fingerprint, computed alike from the rows read out of SQLite and from the rows read back
 * out of PostgreSQL: the number of rows and the sum (mod 2^64) of a hash of each row's values.
 * A sum does not depend on the order rows come in (the two databases sort text differently, and
 * nothing needs sorting), yet a changed, missing or doubled row changes it.
 *
 * Each value is first put in one canonical form per column type, so that what PostgreSQL gives back
 * (jsonb as text with its own key order and spacing, booleans for SQLite's 0/1, int8 as text)
 * compares with what was sent.
 */
import { createHash } from 'node:crypto';
import type { ColumnType } from '../schema/schemaTypes.ts';

const MOD = 1n << 64n;

/** JSON with object keys sorted, so that jsonb's reordering does not count as a change. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A value in the form both sides agree on: null, or a string. */
export function canonicalValue(type: ColumnType, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (type === 'json') return stableJson(typeof value === 'string' ? JSON.parse(value) : value);
  return String(value);
}

export class RowDigest {
  private sum = 0n;
  private count = 0;

  constructor(private readonly types: readonly ColumnType[]) {}

  /** One row's values, in the order of the types given at construction. */
  add(values: readonly unknown[]): void {
    const canonical = this.types.map((type, i) => canonicalValue(type, values[i]));
    const hash = createHash('sha256').update(JSON.stringify(canonical)).digest();
    this.sum = (this.sum + hash.readBigUInt64BE(0)) % MOD;
    this.count++;
  }

  get rows(): number {
    return this.count;
  }

  /** The row count and the checksum, e.g. `1200:00af…`. */
  get value(): string {
    return `${this.count}:${this.sum.toString(16).padStart(16, '0')}`;
  }
}
