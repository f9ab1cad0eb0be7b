import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertMessage, subjectOf } from '../../../alerting/notificationTexts.ts';
import type { Notification } from '../../../alerting/notifiers/types.ts';
import { createWebhookNotifier } from '../../../alerting/notifiers/webhook.ts';

const T0 = Date.UTC(2026, 0, 10, 2, 0, 0);
const clock = { now: () => T0 };

interface Received {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}
type Reply = { status: number; body: string; headers?: Record<string, string> };

/** `server` listening on a free loopback port: its base URL, and a close that ends its connections too. */
async function listening(server: Server): Promise<{ base: string; close(): Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A real HTTP receiver on loopback: records each request and answers from a queue (default 200 ok). */
async function startReceiver() {
  const received: Received[] = [];
  const replies: Reply[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://x'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const r = replies.shift() ?? { status: 200, body: '{"errcode":0,"errmsg":"ok","code":0}' };
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(r.body);
    });
  });
  return { server, received, replies, ...(await listening(server)) };
}

function notification(webhook: string): Notification {
  const view = alertMessage({
    locale: 'zh-CN',
    tz: 'Asia/Shanghai',
    event: 'opened',
    alert: {
      id: 'a1',
      type: 'breach',
      severity: 'critical',
      openedAt: T0,
      count: 1,
      escalationLevel: 0,
      sensorId: 's1',
    },
    address: '东村三组 12 号',
    gridPath: ['曲沃县', '史村镇', '东村', '三组'],
    ackUrl: 'https://sw.example.org/ack/TOKEN',
    ackExpiresAt: T0 + 86_400_000,
    now: T0,
  });
  return {
    id: 'ob-7',
    recipient: { id: 'w-g3', webhook },
    subject: subjectOf('zh-CN', view),
    view,
    data: { alertId: 'a1', type: 'breach' },
  };
}

describe('webhook notifier against a real HTTP receiver on loopback', () => {
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  const notifier = createWebhookNotifier({ clock, timeoutMs: 5000 });
  beforeAll(async () => {
    rx = await startReceiver();
  });
  beforeEach(() => {
    rx.received.length = 0;
    rx.replies.length = 0;
  });
  afterAll(async () => {
    await notifier.close();
    await rx.close();
  });

  it('generic JSON, HMAC-signed when a secret is given', async () => {
    const r = await notifier.send(notification(`${rx.base}/hook#secret=topsecret`));
    expect(r.status).toBe('delivered');
    const req = rx.received[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['x-sealwatch-delivery']).toBe('ob-7');
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({
      source: 'sealwatch',
      notificationId: 'ob-7',
      severity: 'critical',
      ackUrl: 'https://sw.example.org/ack/TOKEN',
      data: { alertId: 'a1' },
    });
    expect(body.text).toContain('曲沃县 / 史村镇 / 东村 / 三组');
    const ts = req.headers['x-sealwatch-timestamp'];
    expect(ts).toBe(String(T0));
    const expected = `sha256=${createHmac('sha256', 'topsecret').update(`${ts}.${req.body}`).digest('hex')}`;
    expect(req.headers['x-sealwatch-signature']).toBe(expected);
    expect(req.body).not.toContain('topsecret');
  });

  it('WeCom group robot: markdown msgtype, query kept', async () => {
    const r = await notifier.send(notification(`${rx.base}/cgi-bin/webhook/send?key=KEY1#format=wecom`));
    expect(r.status).toBe('delivered');
    const req = rx.received[0]!;
    expect(req.url.searchParams.get('key')).toBe('KEY1');
    const body = JSON.parse(req.body);
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content).toContain('### 开门告警 · 东村三组 12 号');
    expect(body.markdown.content).toContain('[一键确认](https://sw.example.org/ack/TOKEN)');
  });

  it('DingTalk robot: markdown, timestamp and sign in the query', async () => {
    const secret = 'SECdingtalk';
    const r = await notifier.send(
      notification(`${rx.base}/robot/send?access_token=AT#format=dingtalk&secret=${secret}`),
    );
    expect(r.status).toBe('delivered');
    const req = rx.received[0]!;
    expect(req.url.searchParams.get('access_token')).toBe('AT');
    expect(req.url.searchParams.get('timestamp')).toBe(String(T0));
    const sign = createHmac('sha256', secret).update(`${T0}\n${secret}`).digest('base64');
    expect(req.url.searchParams.get('sign')).toBe(sign);
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({ msgtype: 'markdown', markdown: { title: '开门告警 · 东村三组 12 号' } });
    expect(body.markdown.text).toContain('**地址**: 东村三组 12 号');
  });

  it('Feishu robot: interactive card, timestamp (s) and sign in the body', async () => {
    const secret = 'feishu-secret';
    rx.replies.push({ status: 200, body: '{"code":0,"msg":"success","data":{}}' });
    const r = await notifier.send(
      notification(`${rx.base}/open-apis/bot/v2/hook/abc#format=feishu&secret=${secret}`),
    );
    expect(r.status).toBe('delivered');
    const body = JSON.parse(rx.received[0]!.body);
    const ts = Math.floor(T0 / 1000);
    expect(body.timestamp).toBe(String(ts));
    expect(body.sign).toBe(createHmac('sha256', `${ts}\n${secret}`).update('').digest('base64'));
    expect(body.msg_type).toBe('interactive');
    expect(body.card.header).toEqual({
      template: 'red',
      title: { tag: 'plain_text', content: '开门告警 · 东村三组 12 号' },
    });
    const button = body.card.elements.find((e: { tag: string }) => e.tag === 'action').actions[0];
    expect(button.url).toBe('https://sw.example.org/ack/TOKEN');
  });

  it('500 then 200: retryable, then delivered', async () => {
    rx.replies.push({ status: 500, body: 'upstream down', headers: { 'retry-after': '3' } });
    const first = await notifier.send(notification(`${rx.base}/hook`));
    expect(first).toEqual({ status: 'retryable', error: 'HTTP 500: upstream down', retryAfterMs: 3000 });
    const second = await notifier.send(notification(`${rx.base}/hook`));
    expect(second.status).toBe('delivered');
    expect(rx.received).toHaveLength(2);
  });

  it('robots answer 200 with an error code in the body: permanent or retryable by code', async () => {
    rx.replies.push({ status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' });
    const bad = await notifier.send(
      notification(`${rx.base}/robot/send?access_token=AT#format=dingtalk&secret=x`),
    );
    expect(bad).toEqual({ status: 'permanent', error: 'dingtalk errcode=310000 sign not match' });
    rx.replies.push({ status: 200, body: '{"errcode":45009,"errmsg":"api freq out of limit"}' });
    const busy = await notifier.send(notification(`${rx.base}/cgi-bin/webhook/send?key=K#format=wecom`));
    expect(busy.status).toBe('retryable');
  });

  it('receiver down → retryable with the socket error; no webhook → permanent', async () => {
    const tmp = await startReceiver();
    const base = tmp.base;
    await tmp.close();
    const r = await notifier.send(notification(`${base}/hook?token=SECRET1`));
    expect(r.status).toBe('retryable');
    if (r.status === 'retryable') {
      expect(r.error).toContain('ECONNREFUSED');
      expect(r.error).not.toContain('SECRET1');
    }
    expect((await notifier.send({ ...notification(''), recipient: { id: 'w9' } })).status).toBe('permanent');
  });
});

describe('webhook notifier: connections (alerting/notifiers/httpPost.ts)', () => {
  const notifier = createWebhookNotifier({ clock, timeoutMs: 5000 });

  it('keeps its connection open between notifications (within the receiver keep-alive)', async () => {
    const rx = await startReceiver();
    let connections = 0;
    rx.server.on('connection', () => connections++);
    try {
      for (let i = 0; i < 3; i++)
        expect((await notifier.send(notification(`${rx.base}/hook`))).status).toBe('delivered');
      expect(rx.received).toHaveLength(3);
      expect(connections).toBe(1);
    } finally {
      await rx.close();
    }
  });

  it('a kept connection the receiver closes as it is reused: sent once more on a new one, delivered once', async () => {
    // The server side of the race Node documents (https://nodejs.org/api/http.html#requestreusedsocket):
    // the receiver answers the first POST with keep-alive, then drops that connection unanswered as the
    // second arrives on it (its idle timeout ending at that moment).
    // Per request, the connection it came on; 0 for the one dropped unanswered.
    const answered: number[] = [];
    let requests = 0;
    let connections = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (++requests === 2) {
          answered.push(0);
          req.socket.destroy();
          return;
        }
        answered.push(connections);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    server.on('connection', () => connections++);
    const { base, close } = await listening(server);
    try {
      expect((await notifier.send(notification(`${base}/hook`))).status).toBe('delivered');
      expect((await notifier.send(notification(`${base}/hook`))).status).toBe('delivered');
      // First POST answered on connection 1; the second dropped on it, then answered on connection 2.
      expect(answered).toEqual([1, 0, 2]);
    } finally {
      await close();
    }
  });

  it('a receiver that does not answer: retryable "timed out" after the timeout', async () => {
    const server = createServer(() => undefined);
    const { base, close } = await listening(server);
    const impatient = createWebhookNotifier({ clock, timeoutMs: 300 });
    try {
      expect(await impatient.send(notification(`${base}/hook`))).toEqual({
        status: 'retryable',
        error: 'generic webhook unreachable: timed out',
      });
    } finally {
      await close();
    }
  });

  it('a redirect is an answer, not followed', async () => {
    const rx = await startReceiver();
    try {
      rx.replies.push({ status: 302, body: '', headers: { location: `${rx.base}/elsewhere` } });
      const r = await notifier.send(notification(`${rx.base}/hook`));
      expect(r.status).not.toBe('delivered');
      expect(rx.received.map((q) => q.url.pathname)).toEqual(['/hook']);
    } finally {
      await rx.close();
    }
  });
});

describe('webhook notifier: an answer without end', () => {
  it('reads at most 256 KiB of an answer and judges it by its status', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Streams until the client goes: far more than anyone should read.
      const more = () => {
        while (!res.destroyed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return res.once('drain', more);
        }
      };
      more();
    });
    const { base, close } = await listening(server);
    try {
      const r = await createWebhookNotifier({ clock, timeoutMs: 5000 }).send(notification(`${base}/hook`));
      expect(r.status).toBe('delivered');
      expect(written).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await close();
    }
  });
});
