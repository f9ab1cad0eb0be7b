import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../helpers/service.ts';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: { type?: string | string[]; minimum?: number; maximum?: number };
}
interface Media {
  schema?: { type?: string | string[]; $ref?: string; properties?: Record<string, unknown> };
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, Media> };
  responses: Record<string, { description?: string; content?: Record<string, Media> }>;
  security?: unknown[];
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

/**
 * The routes that can answer 409 Conflict: a duplicate id, a removal that would orphan records, an
 * overlapping quarantine, the last admin token, an alert already resolved. Read from the registry and
 * the alert lifecycle, independently of the routes' own declarations, which must say exactly this.
 */
const CONFLICTS = [
  'POST /api/grid',
  'DELETE /api/grid/{gridId}',
  'POST /api/workers',
  'POST /api/households',
  'PATCH /api/households/{householdId}',
  'DELETE /api/households/{householdId}',
  'POST /api/sensors',
  'PATCH /api/sensors/{sensorId}',
  'POST /api/sensors/{sensorId}/replace',
  'POST /api/models',
  'POST /api/gateways',
  'POST /api/platform-apps',
  'POST /api/quarantines',
  'PATCH /api/quarantines/{id}',
  'DELETE /api/tokens/{tokenId}',
  'POST /api/users',
  'POST /api/alerts/{id}/ack',
  'POST /api/alerts/{id}/resolve',
  'POST /api/alerts/{id}/assign',
  'GET /ack/{token}',
  'POST /ack/{token}',
];

/**
 * What an API fuzzer run against /docs found (issue 19): no answer had a schema, no list documented
 * its query, POST bodies were missing, 409 was documented nowhere, and unknown methods answered
 * 404. The document is generated from the routes' own zod schemas; this test holds it complete.
 */
describe('the OpenAPI document at /docs/json and the page at /docs', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let doc: Doc;
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, path, op })),
    );

  beforeAll(async () => {
    svc = await startService();
    const answer = await fetch(`${svc.httpUrl}/docs/json`);
    expect(answer.status).toBe(200);
    doc = (await answer.json()) as Doc;
  });
  afterAll(async () => svc?.cleanup());

  it('/docs is an HTML page that loads its viewer from this service (no internet needed)', async () => {
    const page = await fetch(`${svc.httpUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toMatch(/<!DOCTYPE html>/i);
    expect(html).toContain('<title>SealWatch API</title>');
    // Every script and stylesheet is served here, none from a CDN.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThan(2);
    for (const asset of assets) {
      expect(asset, asset).toMatch(/^\/docs\//);
      expect((await fetch(`${svc.httpUrl}${asset}`)).status, asset).toBe(200);
    }
    // The viewer reads the document next to it and asks no online validator.
    const init = await (await fetch(`${svc.httpUrl}/docs/static/swagger-initializer.js`)).text();
    expect(init).toContain("resolveUrl('./json')");
    expect(init).toContain('validatorUrl: null');
  });

  it('is OpenAPI 3.1 and has every route of the service', () => {
    expect(doc.openapi).toBe('3.1.0');
    const routes = operations().map((o) => o.route);
    for (const route of [
      'GET /api/seals/{sensorId}',
      'POST /api/import/{entity}',
      'POST /ack/{token}',
      'GET /healthz',
    ])
      expect(routes).toContain(route);
    // The page's own routes are not API routes.
    expect(routes.filter((r) => r.includes('/docs'))).toEqual([]);
  });

  it('every route documents its path parameters, its body and a schema for each answer', () => {
    for (const { route, path, op } of operations()) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const documented = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect(documented.map((p) => p.name).sort(), `${route} path parameters`).toEqual(inPath.sort());
      for (const p of documented) expect(p.required, `${route} ${p.name}`).toBe(true);

      if (/^(POST|PUT|PATCH) /.test(route)) {
        const content = Object.values(op.requestBody?.content ?? {});
        expect(content.length, `${route} has no request body`).toBeGreaterThan(0);
        for (const media of content) expect(media.schema?.type, `${route} body schema`).toBeDefined();
      }

      const statuses = Object.keys(op.responses);
      expect(
        statuses.some((s) => s.startsWith('2')),
        `${route} has no success answer`,
      ).toBe(true);
      for (const [status, response] of Object.entries(op.responses)) {
        const media = Object.values(response.content ?? {});
        expect(media.length, `${route} ${status} has no content`).toBeGreaterThan(0);
        for (const m of media) {
          const schema = m.schema ?? {};
          expect(schema.type ?? schema.$ref, `${route} ${status} has no schema`).toBeDefined();
        }
        expect(response.description, `${route} ${status}`).not.toBe('Default Response');
      }
      if (op.security) {
        expect(statuses, `${route} needs a token`).toEqual(expect.arrayContaining(['401', '403']));
      }
      const takesInput = op.requestBody !== undefined || (op.parameters ?? []).some((p) => p.in === 'query');
      if (takesInput) expect(statuses, `${route} validates its input`).toContain('400');
    }
  });

  it('every JSON success answer is an object schema that lists its fields', () => {
    for (const { route, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content?.['application/json']?.schema;
        if (!status.startsWith('2') || !schema) continue;
        const itemsOf = (s: typeof schema) =>
          s.type === 'array' ? ((s as { items?: typeof schema }).items ?? {}) : s;
        const object = itemsOf(schema);
        expect(object.type, route).toBe('object');
        expect(Object.keys(object.properties ?? {}).length, `${route} lists no fields`).toBeGreaterThan(0);
      }
    }
  });

  it('every list documents limit and offset as whole numbers with their bounds', () => {
    const lists = operations().filter(({ op }) => {
      const schema = op.responses['200']?.content?.['application/json']?.schema;
      const fields = Object.keys(schema?.properties ?? {});
      return (
        schema?.type === 'array' || ['items', 'total', 'limit', 'offset'].every((f) => fields.includes(f))
      );
    });
    expect(lists.map((l) => l.route).sort()).toEqual(
      [
        'GET /api/alerts',
        'GET /api/audit',
        'GET /api/broker/passwd',
        'GET /api/gateways',
        'GET /api/grid',
        'GET /api/households',
        'GET /api/platform-apps',
        'GET /api/absences',
        'GET /api/rosters',
        'GET /api/reports',
        'GET /api/seals',
        'GET /api/sensors',
        'GET /api/tokens',
        'GET /api/users',
        'GET /api/workers',
      ].sort(),
    );
    for (const { route, op } of lists) {
      const query = new Map((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));
      expect(query.get('limit')?.schema, `${route} limit`).toMatchObject({ type: 'integer', minimum: 1 });
      expect(query.get('limit')?.schema?.maximum, `${route} limit`).toBeGreaterThanOrEqual(1000);
      expect(query.get('offset')?.schema, `${route} offset`).toMatchObject({ type: 'integer', minimum: 0 });
    }
    // The filters each list takes are documented with it.
    const queryOf = (route: string) =>
      (operations()
        .find((o) => o.route === route)
        ?.op.parameters?.filter((p) => p.in === 'query')
        .map((p) => p.name) ?? []) as string[];
    expect(queryOf('GET /api/alerts')).toEqual(expect.arrayContaining(['status', 'type', 'gridId']));
    expect(queryOf('GET /api/seals')).toEqual(expect.arrayContaining(['gridId', 'door', 'online']));
    expect(queryOf('GET /api/households')).toContain('gridId');
    expect(queryOf('GET /api/tokens')).toContain('status');
    expect(queryOf('GET /api/reports')).toContain('gridId');
    expect(queryOf('GET /api/seals/{sensorId}/history')).toEqual(['limit']);
  });

  it('documents 409 exactly where a route can conflict, and answers it there', async () => {
    const documented = operations()
      .filter(({ op }) => '409' in op.responses)
      .map((o) => o.route);
    expect(documented.sort()).toEqual([...CONFLICTS].sort());
    const node = { id: 'dup', name: 'D', parentId: null, level: 'county' };
    expect((await svc.api('POST', '/api/grid', node)).status).toBe(201);
    const again = await svc.api('POST', '/api/grid', node);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('a method a known path does not take answers 405 with Allow (RFC 9110 §15.5.6), an unknown path 404', async () => {
    // RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405 response
    // containing a list of the target resource's currently supported methods."
    const cases: Array<[string, string, string]> = [
      ['PUT', '/api/grid', 'GET, HEAD, POST'],
      ['DELETE', '/api/alerts/some-id/ack', 'POST'],
      ['POST', '/api/seals/some-sensor', 'GET, HEAD'],
      ['PATCH', '/ack/some-token', 'GET, HEAD, POST'],
      ['DELETE', '/docs/json', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await fetch(`${svc.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${svc.adminToken}` },
      });
      expect(answer.status, `${method} ${path}`).toBe(405);
      expect(answer.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
    }
    const unknown = await fetch(`${svc.httpUrl}/api/nothing-here`, { method: 'PUT' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('allow')).toBeNull();
    // Each Allow lists only methods the document has for that path.
    expect(Object.keys(doc.paths['/api/grid'] ?? {}).sort()).toEqual(['get', 'post']);
  });

  it('runs with every JSON answer checked against its schema (the tests’ safety net is on)', () => {
    expect(
      svc.logs.some((l) => typeof l === 'object' && /checked against their schemas/.test(String(l.msg))),
    ).toBe(true);
  });
});
