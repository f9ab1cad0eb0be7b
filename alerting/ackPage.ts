import type { Severity } from './alertModel.ts';
import { escapeHtml } from './html.ts';
import { formatLocalTime } from './localTime.ts';
import { interpolate, type Locale } from './notificationTexts.ts';

/**
 * The page behind `${PUBLIC_URL}/ack/<token>`. GET renders `confirm` (a button, so link scanners and
 * pre-fetchers that follow GETs acknowledge nothing); the button POSTs to the same URL; the route
 * then renders `done` or `error`. The route (the lead's) sends `ACK_PAGE_HEADERS` with it.
 */

export interface AckPageAlert {
  title: string;
  severity: Severity;
  address?: string | undefined;
  gridPath: readonly string[];
  openedAt: number;
}

export type AckPageState =
  | { kind: 'confirm'; alert: AckPageAlert }
  | { kind: 'done'; alert: AckPageAlert; ackedAt: number; ackedByOther?: string | undefined }
  | { kind: 'error'; reason: 'malformed' | 'tampered' | 'expired' | 'used' | 'notFound' | 'resolved' };

export const ACK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex',
};

const T = {
  'zh-CN': {
    confirmHeading: '确认收到告警',
    confirmHint: '点击下方按钮，表示您已收到并正在处理。',
    button: '确认收到',
    note: '备注（可选）',
    doneHeading: '已确认',
    doneText: '已于 {at} 确认，升级已停止。请按规定处置后在系统中结案。',
    doneOther: '此告警已由 {who} 于 {at} 确认。',
    address: '地址',
    grid: '网格',
    time: '时间',
    errors: {
      malformed: '链接无效，请检查是否完整复制。',
      tampered: '链接无效或已被修改。',
      expired: '链接已过期，请登录系统处理。',
      used: '此链接已使用过。',
      notFound: '告警不存在。',
      resolved: '此告警已结案，无需确认。',
    },
    errorHeading: '无法确认',
  },
  en: {
    confirmHeading: 'Acknowledge alert',
    confirmHint: 'Tap the button to confirm you received this alert and are handling it.',
    button: 'Acknowledge',
    note: 'Note (optional)',
    doneHeading: 'Acknowledged',
    doneText: 'Acknowledged at {at}; escalation stopped. Resolve it in SealWatch once handled.',
    doneOther: 'Already acknowledged by {who} at {at}.',
    address: 'Address',
    grid: 'Grid',
    time: 'Time',
    errors: {
      malformed: 'This link is not valid. Check it was copied completely.',
      tampered: 'This link is not valid or was altered.',
      expired: 'This link has expired. Please open SealWatch.',
      used: 'This link was already used.',
      notFound: 'No such alert.',
      resolved: 'This alert is already resolved.',
    },
    errorHeading: 'Cannot acknowledge',
  },
} as const;

const COLOR: Record<Severity, string> = { critical: '#c62828', warning: '#e65100', maintenance: '#1565c0' };

export function renderAckPage(input: { locale: Locale; tz: string; state: AckPageState }): string {
  const t = T[input.locale];
  const s = input.state;
  let body: string;
  let title: string;
  if (s.kind === 'error') {
    title = t.errorHeading;
    body = `<h1>${escapeHtml(t.errorHeading)}</h1><p class="big">${escapeHtml(t.errors[s.reason])}</p>`;
  } else {
    const color = COLOR[s.alert.severity];
    const facts = alertFacts(s.alert, input.tz, t);
    if (s.kind === 'confirm') {
      title = t.confirmHeading;
      body =
        `<h1 style="color:${color}">${escapeHtml(s.alert.title)}</h1>${facts}` +
        `<p>${escapeHtml(t.confirmHint)}</p>` +
        // Empty action posts back to this very URL, token included; no PUBLIC_URL needed here.
        `<form method="post" action=""><label for="note">${escapeHtml(t.note)}</label>` +
        `<textarea id="note" name="note" rows="2" maxlength="500"></textarea>` +
        `<button type="submit" style="background:${color}">${escapeHtml(t.button)}</button></form>`;
    } else {
      title = t.doneHeading;
      const at = formatLocalTime(s.ackedAt, input.tz);
      const text = s.ackedByOther
        ? interpolate(t.doneOther, { who: s.ackedByOther, at })
        : interpolate(t.doneText, { at });
      body = `<h1 style="color:#2e7d32">✓ ${escapeHtml(t.doneHeading)}</h1>${facts}<p class="big">${escapeHtml(text)}</p>`;
    }
  }
  return (
    `<!DOCTYPE html><html lang="${input.locale}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${escapeHtml(title)} · SealWatch</title><style>` +
    "body{margin:0;padding:20px;font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;font-size:20px;line-height:1.5;color:#222;max-width:40em}" +
    'h1{font-size:28px;margin:0 0 16px}dl{margin:0 0 16px}dt{color:#555;font-size:16px}dd{margin:0 0 8px;font-weight:bold}' +
    '.big{font-size:22px}label{display:block;font-size:16px;color:#555}' +
    'textarea{width:100%;box-sizing:border-box;font-size:18px;margin:4px 0 16px;padding:8px}' +
    'button{display:block;width:100%;min-height:72px;font-size:26px;font-weight:bold;color:#fff;border:0;border-radius:10px}' +
    `</style></head><body>${body}</body></html>`
  );
}

function alertFacts(a: AckPageAlert, tz: string, t: (typeof T)[Locale]): string {
  const rows: [string, string][] = [];
  if (a.address) rows.push([t.address, a.address]);
  if (a.gridPath.length > 0) rows.push([t.grid, a.gridPath.join(' / ')]);
  rows.push([t.time, formatLocalTime(a.openedAt, tz)]);
  return `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}
