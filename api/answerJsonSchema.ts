import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

/** Answers shared by several routes (a sensor, an alert, a page of them) are converted once per process. */
const convertedOnce = new WeakMap<z.ZodType, JsonSchema>();

/**
 * A route's declared answer (zod) as the JSON Schema Fastify serializes it with (fast-json-stringify)
 * and the OpenAPI document shows. Serializing from the JSON Schema costs no more than
 * JSON.stringify, where parsing every answer with zod first would cost about twice that on a page of
 * 10,000 seals. fast-json-stringify writes only the properties listed: nothing a schema leaves out
 * (a hash, a secret) can leave the service.
 */
export function answerJsonSchema(schema: z.ZodType): JsonSchema {
  let converted = convertedOnce.get(schema);
  if (!converted) {
    const { $schema: _, ...json } = z.toJSONSchema(schema, {
      io: 'output',
      target: 'draft-07',
      unrepresentable: 'any',
    }) as JsonSchema;
    converted = collapseNullable(json);
    convertedOnce.set(schema, converted);
  }
  // A copy per route: Fastify may annotate the schema it is given.
  return structuredClone(converted);
}

const isNull = (s: unknown) =>
  typeof s === 'object' && s !== null && Object.keys(s).length === 1 && (s as JsonSchema).type === 'null';

/**
 * zod writes `x | null` as `anyOf: [x, {type: null}]`; fast-json-stringify answers an `anyOf` by
 * validating the value against each branch, per value. `type: [x's type, 'null']` says the same and
 * serializes at full speed.
 */
function collapseNullable(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, s]) => [name, collapseNullable(s as JsonSchema)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object' && value) {
      out[key] = collapseNullable(value as JsonSchema);
    } else if (key === 'anyOf' && Array.isArray(value)) {
      out[key] = value.map((s) => collapseNullable(s as JsonSchema));
    } else {
      out[key] = value;
    }
  }
  const branches = out.anyOf as JsonSchema[] | undefined;
  if (branches?.length !== 2) return out;
  const other = branches.find((b) => !isNull(b));
  if (!other || !branches.some(isNull) || typeof other.type !== 'string') return out;
  const { anyOf: _, ...rest } = out;
  return {
    ...other,
    ...rest,
    type: [other.type, 'null'],
    ...(Array.isArray(other.enum) ? { enum: [...other.enum, null] } : {}),
  };
}
