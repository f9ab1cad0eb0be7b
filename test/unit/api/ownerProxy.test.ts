import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../../api/errorHandler.ts';
import { KnownRoutes } from '../../../api/methodNotAllowed.ts';
import { forwardAlertingCalls, isOwnerPath } from '../../../api/ownerProxy.ts';

/**
 * Alerting calls reaching an instance that does not own alerting are passed to the owner, answer
 * and all; with no owner (a takeover under way) the caller is told to retry.
 */
describe('forwarding alerting calls to the owner', () => {
  let owner: FastifyInstance;
  let ownerUrl = '';
  const seen: Array<{ method: string; url: string; auth?: string; forwarded?: string; body: unknown }> = [];

  /** An instance whose ownership the test sets; its own handlers answer "local". */
  const instance = (state: { owner: boolean; url: string | null }) => {
    const app = Fastify();
    installErrorHandler(app, new KnownRoutes());
    forwardAlertingCalls(app, { isOwner: () => state.owner, ownerUrl: async () => state.url });
    app.post('/api/alerts/:id/ack', async () => ({ answeredBy: 'local' }));
    app.get('/api/seals', async () => ({ answeredBy: 'local' }));
    return app;
  };

  beforeAll(async () => {
    owner = Fastify();
    owner.all('/*', async (request, reply) => {
      seen.push({
        method: request.method,
        url: request.url,
        auth: request.headers.authorization,
        forwarded: request.headers['x-sealwatch-forwarded'] as string | undefined,
        body: request.body,
      });
      reply.code(request.method === 'POST' ? 200 : 404).header('x-owner', 'yes');
      return { answeredBy: 'owner' };
    });
    await owner.listen({ port: 0, host: '127.0.0.1' });
    const address = owner.server.address();
    ownerUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => owner.close());

  it('names the alerting paths and only those', () => {
    for (const path of [
      '/api/alerts',
      '/api/alerts?status=open',
      '/api/alerts/a1/ack',
      '/api/reports/daily/run',
      '/api/announcements',
      '/api/households/h-1/announce-link',
      '/ack/abc.def',
      '/announce/tok',
      '/api/households/h-1/qr',
      '/qr/tok',
      '/api/sensors/s-1/battery',
      '/api/wall',
      '/api/wall?gridId=shicun',
    ]) {
      expect(isOwnerPath(path), path).toBe(true);
    }
    for (const path of [
      '/api/alertsx',
      '/api/seals',
      '/api/households/h-1',
      '/api/events',
      '/',
      '/api/sensors/s-1/replace',
      '/api/sensors/s-1/batteryx',
      '/wall',
      '/api/wallx',
      '/api/households/h-1/qrx',
      '/qrx/tok',
    ]) {
      expect(isOwnerPath(path), path).toBe(false);
    }
  });

  it('the owner answers itself', async () => {
    const app = instance({ owner: true, url: ownerUrl });
    const res = await app.inject({ method: 'POST', url: '/api/alerts/a1/ack', payload: { note: 'x' } });
    expect(res.json()).toEqual({ answeredBy: 'local' });
  });

  it('another instance passes the call on with its body and token, and relays status, headers and body', async () => {
    const app = instance({ owner: false, url: ownerUrl });
    seen.length = 0;
    const res = await app.inject({
      method: 'POST',
      url: '/api/alerts/a1/ack?x=1',
      headers: { authorization: 'Bearer t0ken', 'content-type': 'application/json' },
      payload: { note: '已电话联系' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-owner']).toBe('yes');
    expect(res.json()).toEqual({ answeredBy: 'owner' });
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/api/alerts/a1/ack?x=1',
        auth: 'Bearer t0ken',
        forwarded: '1',
        body: { note: '已电话联系' },
      },
    ]);
    // Not an alerting call: answered where it arrived.
    expect((await app.inject({ method: 'GET', url: '/api/seals' })).json()).toEqual({ answeredBy: 'local' });
    // The owner's error statuses come through as they are.
    expect((await app.inject({ method: 'GET', url: '/api/alerts/zz' })).statusCode).toBe(404);
  });

  it('with no owner, or a call already forwarded once, the answer is 503 to retry', async () => {
    const none = await instance({ owner: false, url: null }).inject({ method: 'GET', url: '/api/alerts' });
    expect(none.statusCode).toBe(503);
    expect(none.headers['retry-after']).toBe('2');
    expect(none.json().error.message).toMatch(/no instance owns alerting/);
    const loop = await instance({ owner: false, url: ownerUrl }).inject({
      method: 'GET',
      url: '/api/alerts',
      headers: { 'x-sealwatch-forwarded': '1' },
    });
    expect(loop.statusCode).toBe(503);
    const gone = await instance({ owner: false, url: 'http://127.0.0.1:1' }).inject({
      method: 'GET',
      url: '/api/alerts',
    });
    expect(gone.statusCode).toBe(503);
    expect(gone.json().error.message).toMatch(/did not answer/);
  });
});
