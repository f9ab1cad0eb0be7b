import { isDeepStrictEqual } from 'node:util';
import fastifySwagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { answerJsonSchema } from './answerJsonSchema.ts';
import { errorAnswer } from './schemas/common.ts';

const ERROR_SCHEMA = answerJsonSchema(errorAnswer);
const ERROR_REF = { $ref: '#/components/schemas/Error' };

/**
 * The request parts of a route schema are zod (the type provider turns them into JSON Schema); its
 * answers are JSON Schema already (api/answerJsonSchema.ts: Fastify serializes with them), and its
 * errors are listed by status (`x-error-answers`, routeTable.ts), all in SPEC's error shape.
 */
const transform: SwaggerTransform = (document) => {
  const { schema } = document;
  if (!schema) return jsonSchemaTransform(document);
  const {
    response,
    'x-error-answers': errors,
    ...request
  } = schema as typeof schema & {
    response?: Record<string, unknown>;
    'x-error-answers'?: Record<string, string>;
  };
  const out = jsonSchemaTransform({ ...document, schema: request });
  const errorAnswers = Object.fromEntries(
    Object.entries(errors ?? {}).map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: ERROR_SCHEMA } } },
    ]),
  );
  return { ...out, schema: { ...out.schema, response: { ...errorAnswers, ...response } } };
};

type Media = { schema?: unknown };
type Operation = {
  requestBody?: { required?: boolean };
  responses?: Record<string, { content?: Record<string, Media> }>;
  'x-body-optional'?: boolean;
};

/**
 * The finishing touches on the generated document: a body that may be left out is not marked
 * required (@fastify/swagger marks every body required; routeTable.ts flags these), and the error
 * shape every route answers is written once, as the component `Error`.
 */
const finishDocument: SwaggerTransformObject = (documentObject) => {
  const doc = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(operations ?? {}) as Operation[]) {
      if (typeof operation !== 'object' || operation === null) continue;
      if (operation['x-body-optional']) {
        delete operation['x-body-optional'];
        if (operation.requestBody) operation.requestBody.required = false;
      }
      for (const response of Object.values(operation.responses ?? {})) {
        for (const media of Object.values(response.content ?? {})) {
          if (isDeepStrictEqual(media.schema, ERROR_SCHEMA)) media.schema = ERROR_REF;
        }
      }
    }
  }
  if ('openapiObject' in documentObject) {
    const openapi = documentObject.openapiObject;
    openapi.components = {
      ...openapi.components,
      schemas: { ...openapi.components?.schemas, Error: ERROR_SCHEMA as never },
    };
  }
  return doc;
};

/**
 * The page needs no internet: swagger-ui's files come from the npm package. Its React styles are
 * inline, hence 'unsafe-inline' for styles only; no framing, as for the live page.
 */
const DOCS_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/**
 * OpenAPI 3.1 generated from the routes' own schemas: a page a person can read at /docs, the JSON at
 * /docs/json (and YAML at /docs/yaml). Registered before the routes, whose declarations it collects.
 */
export function registerOpenApi(app: FastifyInstance, version: string): void {
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SealWatch API',
        version,
        description:
          'Bearer tokens (`Authorization: Bearer <token>`) with a role and a grid subtree: an id outside yours answers exactly as one that exists nowhere (404). Every error is `{"error":{"code","message","details"?}}`. A method a path does not take answers 405 with `Allow`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform,
    transformObject: finishDocument,
  });
  void app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_CSP,
    theme: { title: 'SealWatch API' },
    uiConfig: { docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0 },
  });
}
