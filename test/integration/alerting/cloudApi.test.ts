import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { aliyunRpc, type CloudAccount, tencentApi } from '../../../alerting/notifiers/cloudApi.ts';
import { networkReason } from '../../../alerting/notifiers/httpPost.ts';

/**
 * alerting/notifiers/cloudApi.ts over node:http (httpPost.ts), against local servers: what a cloud
 * SMS or voice channel gets back when the vendor's endpoint answers something other than its JSON,
 * or does not answer. That the vendors' signatures verify is tested against the vendor test doubles
 * (test/integration/alerting/smsCloud.test.ts, voiceCall.test.ts).
 */
describe('cloud API calls', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    if (server) await new Promise((r) => server?.close(r));
    server = undefined;
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<CloudAccount> {
    server = createServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    return { endpoint: `127.0.0.1:${port}`, tls: false, accessKeyId: 'id', accessKeySecret: 'secret' };
  }
  const aliyun = (account: CloudAccount, timeoutMs = 2_000) =>
    aliyunRpc(account, { action: 'SendSms', version: '2017-05-25', params: {}, now: Date.now(), timeoutMs });

  it("returns the vendor's status and JSON, with the Host header the signature covers", async () => {
    const seen: Array<string | undefined> = [];
    const account = await serve((req, res) => {
      seen.push(req.headers.host);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"Response":{"RequestId":"r-1"}}');
    });
    const reply = await tencentApi(account, {
      service: 'sms',
      action: 'SendSms',
      version: '2021-01-11',
      region: 'ap-guangzhou',
      payload: '{}',
      now: Date.now(),
      timeoutMs: 2_000,
    });
    expect(reply).toEqual({ status: 200, body: { Response: { RequestId: 'r-1' } } });
    expect(seen).toEqual([account.endpoint]);
  });

  it("reads a proxy's error page as no body, with its status", async () => {
    const account = await serve((req, res) => {
      req.resume();
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway</body></html>');
    });
    expect(await aliyun(account)).toEqual({ status: 502, body: null });
  });

  it("fails with the socket's reason when nothing listens, and 'timed out' when nothing answers", async () => {
    const closed = await serve(() => undefined);
    await new Promise((r) => server?.close(r));
    server = undefined;
    expect(networkReason(await aliyun(closed).catch((err: unknown) => err))).toBe('ECONNREFUSED');

    const silent = await serve(() => undefined);
    expect(networkReason(await aliyun(silent, 200).catch((err: unknown) => err))).toBe('timed out');
  });
});
