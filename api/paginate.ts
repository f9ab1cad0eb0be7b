import { invalid } from '../core/errors.ts';

/**
 * `?limit=&offset=` on every list; answers `{ items, total, limit, offset }`. `items` may be any
 * iterable: it is counted, and only the page is kept. `view`, when given, renders only the page:
 * a list of 100,000 seals renders 100 views, not 100,000.
 */
export function paginate<T, V = T>(
  items: Iterable<T>,
  query: Record<string, string | undefined>,
  max = 1000,
  view?: (item: T) => V,
  /** When the caller knows how many items there are, iteration stops at the end of the page. */
  knownTotal?: number,
) {
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw invalid(`limit must be a whole number from 1 to ${max}`);
  if (!Number.isInteger(offset) || offset < 0) throw invalid('offset must be a whole number ≥ 0');
  const page: T[] = [];
  let total = 0;
  for (const item of items) {
    if (total >= offset && page.length < limit) page.push(item);
    total++;
    if (knownTotal !== undefined && page.length === limit) break;
  }
  return { items: view ? page.map(view) : page, total: knownTotal ?? total, limit, offset };
}
