import { invalid } from '../core/errors.ts';

/**
 * `?limit=&offset=` on every list; answers `{ items, total, limit, offset }`. `view`, when given,
 * renders only the page: a list of 100,000 seals renders 100 views, not 100,000.
 */
export function paginate<T, V = T>(
  items: T[],
  query: Record<string, string | undefined>,
  max = 1000,
  view?: (item: T) => V,
) {
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw invalid(`limit must be a whole number from 1 to ${max}`);
  if (!Number.isInteger(offset) || offset < 0) throw invalid('offset must be a whole number ≥ 0');
  const page = items.slice(offset, offset + limit);
  return { items: view ? page.map(view) : page, total: items.length, limit, offset };
}
