import { hashToken, newSecret } from '../../registry/secrets.ts';
import { ACK_PAGE_HEADERS } from '../ackPage.ts';
import type { AnnounceLinks, StoredAnnouncement } from '../alertStore.ts';
import { ANNOUNCE_REASONS, isAnnounceReason, REASON_LABELS } from '../announceReasons.ts';
import { escapeHtml } from '../html.ts';
import { formatLocalTime } from '../localTime.ts';
import type { Locale } from '../notificationTexts.ts';
import type { Page } from './ackFlow.ts';
import type { AlertEngine } from './alertEngine.ts';
import { householdPage } from './householdPage.ts';

export const ANNOUNCE_PAGE_HEADERS = ACK_PAGE_HEADERS;
const LINK_TTL_MS = 7 * 24 * 60 * 60_000;
const PAGE_CSS =
  "body{margin:0;padding:20px;font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;font-size:20px;line-height:1.5;max-width:40em}" +
  'button{display:block;width:100%;min-height:72px;font-size:26px;font-weight:bold;color:#fff;background:#1565c0;border:0;border-radius:10px;margin-top:16px}';

const T = {
  'zh-CN': {
    heading: '报备开门',
    hint: '开门前请报备：{minutes} 分钟内开门不会告警（仍计入每日开门次数）。此链接只能使用一次。',
    reason: '原因',
    button: '报备开门',
    done: '已报备：{from} 至 {to} 开门不会告警。',
    errors: {
      unknown: '链接无效。',
      used: '此链接已使用过，请联系网格员获取新链接。',
      expired: '链接已过期。',
    },
    errorHeading: '无法报备',
  },
  en: {
    heading: 'Announce an opening',
    hint: 'Announce before you open: for {minutes} minutes an opening raises no alert (it still counts toward the daily limit). This link works once.',
    reason: 'Reason',
    button: 'Announce',
    done: 'Announced: opening from {from} to {to} raises no alert.',
    errors: {
      unknown: 'This link is not valid.',
      used: 'This link was already used. Ask your grid worker for a new one.',
      expired: 'This link has expired.',
    },
    errorHeading: 'Cannot announce',
  },
} as const;

/**
 * A household's one-time link to announce an opening (`${PUBLIC_URL}/announce/<token>`). Only the
 * token's hash is stored; GET shows the reasons and a button, POST announces once.
 */
export class AnnounceFlow {
  constructor(
    private readonly engine: AlertEngine,
    private readonly store: AnnounceLinks,
    private readonly opts: {
      publicUrl: string;
      locale: Locale;
      tz: string;
      /** The announce span in force at the household's node, in minutes. */
      minutesOf: (householdId: string) => number;
      now: () => number;
    },
  ) {}

  async createLink(householdId: string, createdBy: string): Promise<{ url: string; expiresAt: number }> {
    const token = newSecret();
    const now = this.opts.now();
    const expiresAt = now + LINK_TTL_MS;
    await this.store.insertAnnounceLink({
      tokenHash: hashToken(token),
      householdId,
      createdBy,
      createdAt: now,
      expiresAt,
    });
    return { url: `${this.opts.publicUrl.replace(/\/+$/, '')}/announce/${token}`, expiresAt };
  }

  async show(token: string): Promise<Page> {
    const peek = await this.store.peekAnnounceLink(hashToken(token), this.opts.now());
    if (!peek.ok) return this.error(peek.reason);
    const t = T[this.opts.locale];
    const options = ANNOUNCE_REASONS.map(
      (r, i) =>
        `<label style="display:block;margin:8px 0"><input type="radio" name="reason" value="${r}"${i === 0 ? ' checked' : ''}> ${escapeHtml(REASON_LABELS[this.opts.locale][r])}</label>`,
    ).join('');
    return this.page(
      200,
      t.heading,
      `<h1>${escapeHtml(t.heading)}</h1><p>${escapeHtml(t.hint.replace('{minutes}', String(this.opts.minutesOf(peek.householdId))))}</p>` +
        `<form method="post" action=""><fieldset style="border:0;padding:0"><legend>${escapeHtml(t.reason)}</legend>${options}</fieldset>` +
        `<button type="submit">${escapeHtml(t.button)}</button></form>`,
    );
  }

  async announce(
    token: string,
    reason: string | undefined,
  ): Promise<{ page: Page; announcement?: StoredAnnouncement }> {
    const now = this.opts.now();
    const use = await this.store.useAnnounceLink(hashToken(token), now);
    if (!use.ok) return { page: this.error(use.reason) };
    const t = T[this.opts.locale];
    const key = isAnnounceReason(reason) ? reason : 'other';
    const announcement = await this.engine.announce({
      householdId: use.householdId,
      start: now,
      end: now + this.opts.minutesOf(use.householdId) * 60_000,
      reason: REASON_LABELS[this.opts.locale][key],
      by: `household-link:${use.createdBy}`,
    });
    const text = t.done
      .replace('{from}', formatLocalTime(announcement.start, this.opts.tz))
      .replace('{to}', formatLocalTime(announcement.end, this.opts.tz));
    return {
      page: this.page(
        200,
        t.heading,
        `<h1 style="color:#2e7d32">✓ ${escapeHtml(t.heading)}</h1><p>${escapeHtml(text)}</p>`,
      ),
      announcement,
    };
  }

  private error(reason: 'unknown' | 'used' | 'expired'): Page {
    const t = T[this.opts.locale];
    return this.page(
      reason === 'unknown' ? 404 : 410,
      t.errorHeading,
      `<h1>${escapeHtml(t.errorHeading)}</h1><p>${escapeHtml(t.errors[reason])}</p>`,
    );
  }

  private page(status: number, title: string, body: string): Page {
    return householdPage(status, { locale: this.opts.locale, title, body, css: PAGE_CSS });
  }
}
