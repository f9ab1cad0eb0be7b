import type { StoredAnnouncement } from '../alertStore.ts';
import { ANNOUNCE_REASONS, REASON_LABELS } from '../announceReasons.ts';
import { escapeHtml } from '../html.ts';
import { formatLocalTime } from '../localTime.ts';
import { interpolate, type Locale } from '../notificationTexts.ts';
import type { Page } from './ackFlow.ts';
import { householdPage } from './householdPage.ts';
import type { QrDay, QrRefusal } from './qrFlow.ts';

const T = {
  'zh-CN': {
    heading: '报备开门',
    hint: '开门前先报备：报备后 {minutes} 分钟内开门不会告警。',
    today: '今天已申报 {count} 次，上限 {limit} 次。',
    pick: '请点选开门原因（点一下即报备）：',
    note: '补充说明（可选，最多 60 字）',
    reusable: '此二维码可反复使用，请妥善保管。有疑问请联系网格员。',
    doneHeading: '已报备',
    done: '{from} 至 {to} 开门不会告警。',
    back: '返回',
    refused: {
      unknown: ['二维码无效', '请联系网格员获取新的二维码。'],
      revoked: ['此二维码已作废', '网格员已生成新的二维码，请扫描新的二维码。'],
      ended: ['隔离已结束', '无需再报备开门。'],
      limit: ['今天不能再报备', '今天已申报 {count} 次，上限 {limit} 次。如需开门，请联系网格员。'],
      throttled: ['操作太频繁', '请 {seconds} 秒后再试。'],
      badReason: ['请选择开门原因', '请返回，点选一个开门原因；补充说明最多 60 字。'],
    },
  },
  en: {
    heading: 'Announce an opening',
    hint: 'Announce before you open: for {minutes} minutes after, an opening raises no alert.',
    today: 'Announced today: {count} of {limit}.',
    pick: 'Tap the reason for opening (one tap announces):',
    note: 'Note (optional, up to 60 characters)',
    reusable: 'This QR code works again and again: keep it safe. Questions: ask your grid worker.',
    doneHeading: 'Announced',
    done: 'Opening from {from} to {to} raises no alert.',
    back: 'Back',
    refused: {
      unknown: ['This QR code is not valid', 'Ask your grid worker for a new QR code.'],
      revoked: ['This QR code was replaced', 'Your grid worker made a new QR code: scan the new one.'],
      ended: ['The quarantine has ended', 'There is no need to announce openings any more.'],
      limit: [
        'No more announcements today',
        'Announced today: {count} of {limit}. To open, call your grid worker.',
      ],
      throttled: ['Too many tries', 'Try again in {seconds} s.'],
      badReason: ['Pick a reason', 'Go back and tap one of the reasons; a note has at most 60 characters.'],
    },
  },
} as const;

/**
 * Readable in sunlight on a cheap phone: black on white, 22 px text, buttons a thumb cannot miss
 * (72 px high, white on dark blue, contrast over 10:1). No script: each reason is a submit button.
 */
const CSS =
  "body{margin:0;padding:16px;font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;font-size:22px;line-height:1.5;color:#000;background:#fff}" +
  'main{max-width:36em;margin:0 auto}h1{font-size:32px;margin:8px 0 12px}' +
  '.today{font-weight:bold;font-size:24px;border-left:6px solid #0d47a1;padding-left:10px}' +
  'label{display:block;margin-top:12px;font-size:20px}' +
  'input{display:block;box-sizing:border-box;width:100%;min-height:56px;font-size:22px;padding:8px;border:2px solid #000;border-radius:8px}' +
  '.reasons{display:grid;gap:10px;margin-top:8px}' +
  'button,.back{display:block;box-sizing:border-box;width:100%;min-height:72px;font-size:28px;font-weight:bold;color:#fff;background:#0d47a1;border:0;border-radius:12px;text-align:center;text-decoration:none;line-height:72px}' +
  'button:focus-visible,.back:focus-visible,input:focus-visible{outline:4px solid #e65100;outline-offset:2px}' +
  '.ok{color:#1b5e20}.no{color:#b71c1c}.small{font-size:18px;color:#333;margin-top:24px}';

/** The QR code's pages: the reasons to pick, announced, refused. */
export class QrPages {
  constructor(private readonly opts: { locale: Locale; tz: string }) {}

  form(day: QrDay): Page {
    const t = T[this.opts.locale];
    const labels = REASON_LABELS[this.opts.locale];
    const buttons = ANNOUNCE_REASONS.map(
      (r) => `<button type="submit" name="reason" value="${r}">${escapeHtml(labels[r])}</button>`,
    ).join('');
    return this.page(
      200,
      t.heading,
      `<h1>${escapeHtml(t.heading)}</h1>` +
        `<p>${escapeHtml(interpolate(t.hint, { minutes: day.minutes }))}</p>` +
        `<p class="today">${escapeHtml(interpolate(t.today, { count: day.count, limit: day.limit }))}</p>` +
        '<form method="post" action="">' +
        `<label for="note">${escapeHtml(t.note)}</label><input id="note" name="note" maxlength="60" autocomplete="off">` +
        `<p id="pick">${escapeHtml(t.pick)}</p><div class="reasons" role="group" aria-labelledby="pick">${buttons}</div>` +
        `</form><p class="small">${escapeHtml(t.reusable)}</p>`,
    );
  }

  announced(a: StoredAnnouncement, day: QrDay): Page {
    const t = T[this.opts.locale];
    const time = (ts: number) => formatLocalTime(ts, this.opts.tz).slice(11, 16);
    return this.page(
      201,
      t.doneHeading,
      `<h1 class="ok">✓ ${escapeHtml(t.doneHeading)}</h1>` +
        `<p>${escapeHtml(interpolate(t.done, { from: time(a.start), to: time(a.end) }))}</p>` +
        `<p>${escapeHtml(a.reason)}</p>` +
        `<p class="today">${escapeHtml(interpolate(t.today, { count: day.count, limit: day.limit }))}</p>` +
        `<a class="back" href="">${escapeHtml(t.back)}</a>`,
    );
  }

  refused(refusal: QrRefusal | { kind: 'badReason' }, status: number): Page {
    const [heading, text] = T[this.opts.locale].refused[refusal.kind];
    return this.page(
      status,
      heading,
      `<h1 class="no">${escapeHtml(heading)}</h1><p>${escapeHtml(this.message(refusal, text))}</p>` +
        (refusal.kind === 'badReason'
          ? `<a class="back" href="">${escapeHtml(T[this.opts.locale].back)}</a>`
          : ''),
    );
  }

  /** The refusal in one sentence, for the JSON answer as for the page. */
  message(
    refusal: QrRefusal | { kind: 'badReason' },
    text = T[this.opts.locale].refused[refusal.kind][1],
  ): string {
    if (refusal.kind === 'limit') return interpolate(text, { count: refusal.count, limit: refusal.limit });
    if (refusal.kind === 'throttled') return interpolate(text, { seconds: refusal.retryAfterSeconds });
    return text;
  }

  private page(status: number, title: string, body: string): Page {
    return householdPage(status, { locale: this.opts.locale, title, css: CSS, body: `<main>${body}</main>` });
  }
}
