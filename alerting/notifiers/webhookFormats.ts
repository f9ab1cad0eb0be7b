import { type MessageView, renderMarkdown, renderText } from '../messages.ts';
import type { DeliveryResult, Notification } from './types.ts';
import { dingtalkSignedUrl, feishuSign, genericSign } from './webhookSigning.ts';

export type WebhookFormat = 'generic' | 'wecom' | 'dingtalk' | 'feishu';

export interface WebhookTarget {
  url: string;
  format: WebhookFormat;
  secret?: string;
}

const FORMATS: readonly WebhookFormat[] = ['generic', 'wecom', 'dingtalk', 'feishu'];

/**
 * A worker's `webhook` string → target. The format follows the robot's host
 * (qyapi.weixin.qq.com → wecom, oapi.dingtalk.com → dingtalk, open.feishu.cn / open.larksuite.com →
 * feishu, anything else → generic). A URL fragment carries what the receiver must not see:
 * `#secret=SEC…` (DingTalk/Feishu signing, generic HMAC) and `#format=…` to override detection
 * (e.g. a relay). Fragments are never sent by HTTP clients; we strip them anyway.
 */
export function parseWebhookTarget(spec: string): WebhookTarget {
  const u = new URL(spec);
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new Error(`webhook must be http(s), got ${u.protocol}`);
  const frag = new URLSearchParams(u.hash.replace(/^#/, ''));
  u.hash = '';
  let format: WebhookFormat = detectFormat(u.hostname);
  const f = frag.get('format');
  if (f !== null) {
    if (!(FORMATS as readonly string[]).includes(f)) throw new Error(`unknown webhook format "${f}"`);
    format = f as WebhookFormat;
  }
  const secret = frag.get('secret');
  return { url: u.toString(), format, ...(secret ? { secret } : {}) };
}

function detectFormat(host: string): WebhookFormat {
  if (host === 'qyapi.weixin.qq.com') return 'wecom';
  if (host === 'oapi.dingtalk.com' || host === 'api.dingtalk.com') return 'dingtalk';
  if (host === 'open.feishu.cn' || host === 'open.larksuite.com') return 'feishu';
  return 'generic';
}

/** For logs: format, origin and path with long path segments (Feishu hook tokens) masked; no query. */
export function describeTarget(t: WebhookTarget): string {
  const u = new URL(t.url);
  const path = u.pathname
    .split('/')
    .map((s) => (s.length >= 16 ? `${s.slice(0, 4)}…` : s))
    .join('/');
  return `${t.format} ${u.origin}${path}`;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** WeCom rejects markdown content over 4096 bytes. */
const WECOM_MAX_BYTES = 4096;

export function buildWebhookRequest(t: WebhookTarget, n: Notification, nowMs: number): WebhookRequest {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'SealWatch-Notifier/1',
    'x-sealwatch-delivery': n.id,
  };
  switch (t.format) {
    case 'generic': {
      const body = JSON.stringify({
        source: 'sealwatch',
        notificationId: n.id,
        severity: n.view.severity,
        title: n.view.title,
        text: renderText(n.view),
        fields: n.view.fields,
        ackUrl: n.view.action?.url ?? null,
        data: n.data,
      });
      if (t.secret) {
        headers['x-sealwatch-timestamp'] = String(nowMs);
        headers['x-sealwatch-signature'] = genericSign(t.secret, nowMs, body);
      }
      return { url: t.url, headers, body };
    }
    case 'wecom':
      return {
        url: t.url,
        headers,
        body: JSON.stringify({
          msgtype: 'markdown',
          markdown: { content: truncateBytes(renderMarkdown(n.view), WECOM_MAX_BYTES) },
        }),
      };
    case 'dingtalk':
      return {
        url: t.secret ? dingtalkSignedUrl(t.url, t.secret, nowMs) : t.url,
        headers,
        body: JSON.stringify({
          msgtype: 'markdown',
          markdown: { title: n.view.title, text: renderMarkdown(n.view) },
        }),
      };
    case 'feishu': {
      const payload: Record<string, unknown> = { msg_type: 'interactive', card: feishuCard(n.view) };
      if (t.secret) {
        const ts = Math.floor(nowMs / 1000);
        payload.timestamp = String(ts);
        payload.sign = feishuSign(t.secret, ts);
      }
      return { url: t.url, headers, body: JSON.stringify(payload) };
    }
  }
}

const FEISHU_TEMPLATE: Record<MessageView['severity'], string> = {
  critical: 'red',
  warning: 'orange',
  maintenance: 'blue',
  info: 'grey',
};

function feishuCard(view: MessageView): Record<string, unknown> {
  const elements: unknown[] = [
    {
      tag: 'div',
      text: {
        tag: 'lark_md',
        content: renderMarkdown({ ...view, action: undefined, footer: undefined } as MessageView, {
          heading: false,
        }),
      },
    },
  ];
  if (view.action) {
    elements.push({
      tag: 'action',
      actions: [
        {
          tag: 'button',
          text: { tag: 'plain_text', content: view.action.label },
          type: view.severity === 'critical' ? 'danger' : 'primary',
          url: view.action.url,
        },
      ],
    });
  }
  if (view.footer) elements.push({ tag: 'note', elements: [{ tag: 'plain_text', content: view.footer }] });
  return {
    config: { wide_screen_mode: true },
    header: { template: FEISHU_TEMPLATE[view.severity], title: { tag: 'plain_text', content: view.title } },
    elements,
  };
}

function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = s;
  while (Buffer.byteLength(out) > max - 3) out = out.slice(0, Math.floor(out.length * 0.95));
  return `${out}…`;
}

/** Robot error codes that mean "later" (rate limits, busy); any other non-zero code is permanent. */
const RETRYABLE_CODES: Record<WebhookFormat, ReadonlySet<number>> = {
  generic: new Set(),
  // 45009 api freq out of limit; -1 system busy.
  wecom: new Set([45009, -1]),
  // 130101 send too fast; -1 system busy.
  dingtalk: new Set([130101, -1]),
  // 11232 frequency limited; 9499 is a bad request (permanent).
  feishu: new Set([11232]),
};

/**
 * Interpret the receiver's answer. HTTP 408/425/429/5xx and network errors are retryable (honouring
 * Retry-After); other 4xx and 3xx (we do not follow redirects with a POST) are permanent. The robots
 * answer HTTP 200 with an error code in the body (`errcode` for WeCom/DingTalk, `code` or the older
 * `StatusCode` for Feishu): non-zero is a failure.
 */
export function interpretWebhookResponse(
  format: WebhookFormat,
  status: number,
  bodyText: string,
  retryAfter: string | null,
  nowMs: number,
): DeliveryResult {
  const snippet = bodyText.slice(0, 200).replace(/\s+/g, ' ');
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const ra = parseRetryAfter(retryAfter, nowMs);
    return {
      status: 'retryable',
      error: `HTTP ${status}: ${snippet}`,
      ...(ra !== null ? { retryAfterMs: ra } : {}),
    };
  }
  if (status >= 300 && status < 400)
    return { status: 'permanent', error: `HTTP ${status}: redirects are not followed` };
  const code = format === 'generic' ? null : robotCode(format, bodyText);
  if (status >= 400) {
    if (code && RETRYABLE_CODES[format].has(code.code))
      return { status: 'retryable', error: `HTTP ${status} ${code.text}` };
    return { status: 'permanent', error: `HTTP ${status}: ${snippet}` };
  }
  if (format === 'generic') return { status: 'delivered', detail: `HTTP ${status}` };
  if (!code)
    return { status: 'retryable', error: `HTTP ${status} without a ${format} result code: ${snippet}` };
  if (code.code === 0) return { status: 'delivered', detail: `HTTP ${status} ${code.text}` };
  if (RETRYABLE_CODES[format].has(code.code))
    return { status: 'retryable', error: `${format} ${code.text}`, retryAfterMs: 60_000 };
  return { status: 'permanent', error: `${format} ${code.text}` };
}

function robotCode(format: WebhookFormat, bodyText: string): { code: number; text: string } | null {
  let b: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (typeof parsed !== 'object' || parsed === null) return null;
    b = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  const pick = (codeKey: string, msgKey: string) =>
    typeof b[codeKey] === 'number'
      ? { code: b[codeKey] as number, text: `${codeKey}=${b[codeKey]} ${String(b[msgKey] ?? '')}`.trim() }
      : null;
  if (format === 'feishu') return pick('code', 'msg') ?? pick('StatusCode', 'StatusMessage');
  return pick('errcode', 'errmsg');
}

function parseRetryAfter(v: string | null, nowMs: number): number | null {
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - nowMs);
}
