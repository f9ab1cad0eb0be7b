import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../helpers/service.ts';

/**
 * An operator reads start-up output: a deprecation warning there (Fastify's FSTDEP codes, Node's
 * DeprecationWarning) is noise today and a broken start on the next major version.
 */
describe('start-up output', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => {
    await svc?.cleanup();
  });

  it('has no deprecation warning', async () => {
    // Route registration warnings come while the app is built; a first request settles any lazy ones.
    expect((await svc.api('GET', '/healthz', undefined, null)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const lines = svc.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l)));
    expect(lines.filter((l) => /FSTDEP|DeprecationWarning/.test(l))).toEqual([]);
  });

  it('still routes path parameters longer than the router default of 100 characters (acknowledge links)', async () => {
    const res = await fetch(`${svc.httpUrl}/ack/${'x'.repeat(300)}`);
    // The acknowledge page answers (an invalid link), not the router's "no route".
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });
});
