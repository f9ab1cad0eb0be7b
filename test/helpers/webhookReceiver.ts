/**
 * A real HTTP receiver (node:http) on a free loopback port: records every request and answers from
 * a programmable queue (default 200 with a robot-style `{"errcode":0}` body).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON loosely
  json: any;
  receivedAt: number;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  /** Answers for the next requests, in order; then `defaultAnswer`. */
  answers: Answer[];
  defaultAnswer: Answer;
  /** Called on each request as it arrives (benches time it). */
  onRequest: ((r: ReceivedRequest) => void) | null;
  waitFor(match: (r: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    received,
    answers: [],
    defaultAnswer: { status: 200, body: '{"errcode":0,"errmsg":"ok"}' },
    onRequest: null,
    async waitFor(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(match);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`no matching webhook request within ${timeoutMs} ms (got ${received.length})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '/',
        headers: req.headers,
        body,
        json,
        receivedAt: Date.now(),
      };
      received.push(r);
      receiver.onRequest?.(r);
      const a = receiver.answers.shift() ?? receiver.defaultAnswer;
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body ?? '');
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
