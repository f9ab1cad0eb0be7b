import { invalid } from '../core/errors.ts';

/** `?limit=&offset=` on every list; answers `{ items, total, limit, offset }`. */
export function paginate<T>(items: T[], query: Record<string, string | undefined>, max = 1000) {
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw invalid(`limit must be a whole number from 1 to ${max}`);
  if (!Number.isInteger(offset) || offset < 0) throw invalid('offset must be a whole number ≥ 0');
  return { items: items.slice(offset, offset + limit), total: items.length, limit, offset };
}
