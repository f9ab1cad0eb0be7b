/**
 * `?limit=&offset=` on every list (validated by the route's query schema, schemas/common.ts
 * pageQuery); answers `{ items, total, limit, offset }`. `items` may be any iterable: it is counted,
 * and only the page is kept. `view`, when given, renders only the page: a list of 100,000 seals
 * renders 100 views, not 100,000.
 */
export function paginate<T, V = T>(
  items: Iterable<T>,
  { limit, offset }: { limit: number; offset: number },
  view?: (item: T) => V,
  /** When the caller knows how many items there are, iteration stops at the end of the page. */
  knownTotal?: number,
) {
  const page: T[] = [];
  let total = 0;
  for (const item of items) {
    if (total >= offset && page.length < limit) page.push(item);
    total++;
    if (knownTotal !== undefined && page.length === limit) break;
  }
  return {
    items: view ? page.map(view) : (page as unknown as V[]),
    total: knownTotal ?? total,
    limit,
    offset,
  };
}
