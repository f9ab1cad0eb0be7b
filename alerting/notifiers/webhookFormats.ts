import { interpolate, type MessageView, renderMarkdown, renderText } from '../notificationTexts.ts';
import {
  dingtalkMention,
  feishuMentionElement,
  mentionOf,
  wecomMarkdownMention,
  wecomUsesText,
} from './robotMentions.ts';
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

/**
 * Size limits, in UTF-8 bytes (Chinese text is 3 bytes a character):
 * - WeCom group robot: `markdown.content` at most 4096 bytes
 *   (https://developer.work.weixin.qq.com/document/path/91770; the robot answers errcode 40058
 *   "markdown.content exceed max length 4096").
 * - DingTalk custom robot: a body of at most 20,000 bytes; beyond it the robot answers
 *   `{"errcode":460101,"errmsg":"message too long, exceed 20000 bytes"}`
 *   (https://github.com/timonwong/prometheus-webhook-dingtalk/issues/30) or "body 大小不合法;
 *   请保持大小在 20000bytes 以内" (https://github.com/ZhuLinsen/daily_stock_analysis/issues/61).
 * - Feishu custom bot: "the request body must not exceed 20 KB"
 *   (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot); we read KB as 1,000 bytes
 *   to stay on the safe side.
 */
export const BODY_LIMITS = {
  wecomMarkdownBytes: 4096,
  /** WeCom `text.content`: "最长不超过2048个字节" (same page). */
  wecomTextBytes: 2048,
  dingtalkBodyBytes: 20_000,
  feishuBodyBytes: 20_000,
} as const;

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
    case 'wecom': {
      const mention = mentionOf(n.recipient);
      if (wecomUsesText(mention)) {
        // Only `text` mentions by mobile (robotMentions.ts).
        const fitted = fitView(n.view, (v) => byteLength(renderText(v)) <= BODY_LIMITS.wecomTextBytes);
        const content = truncateUtf8(renderText(fitted), BODY_LIMITS.wecomTextBytes);
        const text = { content, mentioned_mobile_list: [mention.mobile] };
        return { url: t.url, headers, body: JSON.stringify({ msgtype: 'text', text }) };
      }
      const at = wecomMarkdownMention(mention);
      const limit = BODY_LIMITS.wecomMarkdownBytes - byteLength(at);
      const content = (v: MessageView) => renderMarkdown(v);
      const fitted = fitView(n.view, (v) => byteLength(content(v)) <= limit);
      return {
        url: t.url,
        headers,
        body: JSON.stringify({
          msgtype: 'markdown',
          markdown: { content: truncateUtf8(content(fitted), limit) + at },
        }),
      };
    }
    case 'dingtalk': {
      const mention = dingtalkMention(mentionOf(n.recipient));
      const body = (v: MessageView, text = renderMarkdown(v)) =>
        JSON.stringify({
          msgtype: 'markdown',
          markdown: { title: v.title, text: text + (mention?.suffix ?? '') },
          ...(mention ? { at: mention.at } : {}),
        });
      const fitted = fitView(n.view, (v) => byteLength(body(v)) <= BODY_LIMITS.dingtalkBodyBytes);
      return {
        url: t.secret ? dingtalkSignedUrl(t.url, t.secret, nowMs) : t.url,
        headers,
        body: fitJsonText(
          renderMarkdown(fitted),
          (text) => body(fitted, text),
          BODY_LIMITS.dingtalkBodyBytes,
        ),
      };
    }
    case 'feishu': {
      const body = (v: MessageView) => {
        const card = feishuCard(v, feishuMentionElement(mentionOf(n.recipient)));
        const payload: Record<string, unknown> = { msg_type: 'interactive', card };
        if (t.secret) {
          const ts = Math.floor(nowMs / 1000);
          payload.timestamp = String(ts);
          payload.sign = feishuSign(t.secret, ts);
        }
        return JSON.stringify(payload);
      };
      const fitted = fitView(n.view, (v) => byteLength(body(v)) <= BODY_LIMITS.feishuBodyBytes);
      const intro = fitJsonText(
        fitted.intro,
        (text) => body({ ...fitted, intro: text }),
        BODY_LIMITS.feishuBodyBytes,
      );
      return { url: t.url, headers, body: intro };
    }
  }
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * A list (a summary's fields) that does not fit: keep as many fields as fit, in order, and end with
 * the view's localized "and N more" line. Views without `more`, or that fit, are returned as they are.
 */
export function fitView(view: MessageView, fits: (v: MessageView) => boolean): MessageView {
  if (fits(view) || view.more === undefined || view.fields.length === 0) return view;
  const withFirst = (k: number): MessageView => ({
    ...view,
    fields: [
      ...view.fields.slice(0, k),
      { label: '', value: interpolate(view.more ?? '', { count: view.fields.length - k }) },
    ],
  });
  // Largest k that fits; fitting is monotone in k, so a binary search over [0, fields.length).
  let lo = 0;
  let hi = view.fields.length - 1;
  if (!fits(withFirst(0))) return withFirst(0);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(withFirst(mid))) lo = mid;
    else hi = mid - 1;
  }
  return withFirst(lo);
}

/**
 * At most `maxBytes` of UTF-8, cut between characters (code points), never inside one, ending in
 * "…" when cut.
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (byteLength(s) <= maxBytes) return s;
  const budget = maxBytes - byteLength('…');
  let used = 0;
  let out = '';
  for (const ch of s) {
    const b = byteLength(ch);
    if (used + b > budget) break;
    used += b;
    out += ch;
  }
  return `${out}…`;
}

/** The longest prefix of `text` (whole characters, "…" appended) whose body fits `maxBytes`. */
function fitJsonText(text: string, body: (text: string) => string, maxBytes: number): string {
  const full = body(text);
  if (byteLength(full) <= maxBytes) return full;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (byteLength(body(`${chars.slice(0, mid).join('')}…`)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  return body(`${chars.slice(0, lo).join('')}…`);
}

const FEISHU_TEMPLATE: Record<MessageView['severity'], string> = {
  critical: 'red',
  warning: 'orange',
  maintenance: 'blue',
  info: 'grey',
};

function feishuCard(view: MessageView, mention: Record<string, unknown> | null): Record<string, unknown> {
  const elements: unknown[] = [
    // The mention first: it is what the muted group's member must not miss.
    ...(mention ? [mention] : []),
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

/** Robot error codes that mean "later" (rate limits, busy); any other non-zero code is permanent. */
const RETRYABLE_CODES: Record<WebhookFormat, ReadonlySet<number>> = {
  generic: new Set(),
  // 45009 api freq out of limit; -1 system busy.
  wecom: new Set([45009, -1]),
  // 130101 send too fast; -1 system busy.
  dingtalk: new Set([130101, -1]),
  // 11232 frequency limited (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot).
  // 9499 is a bad request in general, except with "too many request", see isRateLimit.
  feishu: new Set([11232]),
};

/**
 * How long a robot's rate-limit answer blocks it. DingTalk: "每个机器人每分钟最多发送20条消息到群里，
 * 如果超过20条，会限流10分钟" (at most 20 a minute per robot; beyond that it is throttled for 10
 * minutes), https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages; its answer
 * is `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`. Retrying after 60 s
 * would only hit the block again.
 */
export const RATE_LIMIT_WAIT_MS: Record<WebhookFormat, number> = {
  generic: 60_000,
  wecom: 60_000,
  dingtalk: 10 * 60_000,
  feishu: 60_000,
};

/**
 * Feishu answers a custom bot over its frequency limit with `{"code":9499,"msg":"too many request"}`
 * (HTTP 200 or 400): 9499 is Feishu's generic "bad request" code, so only its message tells the rate
 * limit apart (kubesphere/notification-manager retries it too:
 * https://github.com/kubesphere/notification-manager/pull/126).
 */
function isRateLimit(format: WebhookFormat, code: { code: number; text: string }): boolean {
  if (RETRYABLE_CODES[format].has(code.code)) return true;
  return format === 'feishu' && code.code === 9499 && /too many request/i.test(code.text);
}

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
    if (code && isRateLimit(format, code))
      return {
        status: 'retryable',
        error: `HTTP ${status} ${code.text}`,
        retryAfterMs: RATE_LIMIT_WAIT_MS[format],
      };
    return { status: 'permanent', error: `HTTP ${status}: ${snippet}` };
  }
  if (format === 'generic') return { status: 'delivered', detail: `HTTP ${status}` };
  if (!code)
    return { status: 'retryable', error: `HTTP ${status} without a ${format} result code: ${snippet}` };
  if (code.code === 0) return { status: 'delivered', detail: `HTTP ${status} ${code.text}` };
  if (isRateLimit(format, code))
    return { status: 'retryable', error: `${format} ${code.text}`, retryAfterMs: RATE_LIMIT_WAIT_MS[format] };
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
