/**
 * Building blocks of the API's declared answers and queries. Each route's zod schemas are the one
 * source of its validation, its handler's types and the OpenAPI document at /docs.
 */
import { z } from 'zod';

/** A time as the API writes it: RFC 3339 in UTC (`2026-11-23T00:00:00.000Z`). */
export const isoTime = z.string().meta({ format: 'date-time', description: 'RFC 3339, UTC' });
export const isoTimeOrNull = isoTime.nullable();

/** SPEC's error shape, for every answer that is not a success (api/errorHandler.ts writes it). */
export const errorAnswer = z.object({
  error: z.object({
    code: z.string().meta({ description: 'validation, not_found, conflict, unauthorized, forbidden, …' }),
    message: z.string(),
    details: z.unknown().optional().meta({ description: 'what was refused, e.g. each bad field or CSV row' }),
  }),
});

const wholeNumber = (min: number, max: number | null) => {
  const message =
    max === null ? `must be a whole number ≥ ${min}` : `must be a whole number from ${min} to ${max}`;
  const n = z.coerce.number({ error: message }).int({ error: message }).min(min, { error: message });
  return max === null ? n : n.max(max, { error: message });
};

/**
 * `?limit=&offset=` of a list. Query values arrive as text and are read as numbers the way the
 * routes always did (`Number(text)`), so `limit=1e2` is still 100.
 */
export function pageQuery(max: number, defaultLimit = 100) {
  return z.object({
    limit: wholeNumber(1, max)
      .default(defaultLimit)
      .meta({ description: `page size, 1 to ${max} (default ${defaultLimit})` }),
    offset: wholeNumber(0, null).default(0).meta({ description: 'items to skip (default 0)' }),
  });
}

/** A page of a list: `{ items, total, limit, offset }` (api/paginate.ts). */
export function pageOf<Item extends z.ZodType>(item: Item) {
  return z.object({
    items: z.array(item),
    total: z.number().int().meta({ description: 'items in the whole list, not only this page' }),
    limit: z.number().int(),
    offset: z.number().int(),
  });
}

/** One of a fixed set of words in a query (`?status=open`), refused in the same words as before. */
export const oneOf = <const Values extends readonly [string, ...string[]]>(values: Values) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

/** Path parameters are ids as the caller typed them: unknown or out of scope is a 404, never a 400. */
export const pathParams = <const Names extends readonly string[]>(...names: Names) =>
  z.object(Object.fromEntries(names.map((n) => [n, z.string()])) as { [K in Names[number]]: z.ZodString });

/**
 * The body of a POST that takes no fields (it acts on the path alone). Documented as an empty
 * object; a body sent anyway is ignored, as it always was, never refused.
 */
export const noBody = z.object({}).catch({}).meta({ description: 'no fields; a body, if sent, is ignored' });
