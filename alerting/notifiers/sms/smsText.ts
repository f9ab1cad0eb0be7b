/**
 * The alert as an SMS: what a grid worker on foot needs, short. An SMS part holds 70 Chinese
 * characters, so the text is type, place, time and the reply code, in LOCALE's language
 * (titles and labels from notificationTexts.ts), e.g.
 *   【SealWatch 门磁监测】开门告警：史村镇东村三组 1 号，12-05 08:03。回复 417 确认。https://…/ack/…
 * The acknowledge link follows when the whole text still fits in MAX_PARTS parts; the ack token alone
 * is ~170 characters, so a Chinese text with it takes 4 parts, one without it 1.
 * The cloud gateways send approved templates only: `smsTemplateVars` are the same facts as variables.
 */
import type { AlertType } from '../../alertModel.ts';
import { formatLocalTime } from '../../localTime.ts';
import {
  alertTitle,
  type LifecycleEvent,
  type Locale,
  labels,
  type MessageView,
} from '../../notificationTexts.ts';
import { partCount } from './smsEncoding.ts';

/** The most parts an alert SMS may take with its link; without the link it is what it is. */
export const MAX_PARTS = 4;

const TEXTS = {
  'zh-CN': {
    escalated: '【升级】',
    reminder: '【提醒】',
    assigned: '【转派】',
    line: '{prefix}{title}：{place}，{time}。',
    reply: '回复 {code} 确认。',
  },
  en: {
    escalated: '[Escalated] ',
    reminder: '[Reminder] ',
    assigned: '[Assigned] ',
    line: '{prefix}{title}: {place}, {time}. ',
    reply: 'Reply {code} to acknowledge. ',
  },
} as const;

export interface SmsTextInput {
  locale: Locale;
  tz: string;
  event: LifecycleEvent;
  type: AlertType;
  /** The rule's detail: a gateway's outage is titled as one ("网关失联"). */
  detail?: Record<string, unknown> | undefined;
  openedAt: number;
  address?: string | undefined;
  gridPath: readonly string[];
  replyCode?: string | undefined;
  ackUrl?: string | undefined;
}

/** Variables for an approved template (Aliyun TemplateParam, Tencent TemplateParamSet). */
export interface SmsTemplateVars {
  /** 开门告警 / Door opened (with the escalation prefix). */
  type: string;
  /** The address, else the grid node's name; at most 35 characters (the clouds' variable limit). */
  place: string;
  /** MM-DD HH:mm local time. */
  time: string;
  /** The reply code, or '' without one. */
  code: string;
}

const fill = (t: string, v: Record<string, string>) => t.replace(/\{(\w+)\}/g, (m, k: string) => v[k] ?? m);

export function smsTemplateVars(input: SmsTextInput): SmsTemplateVars {
  const T = TEXTS[input.locale];
  const prefix = input.event === 'opened' ? '' : T[input.event];
  const place = input.address ?? input.gridPath[input.gridPath.length - 1] ?? '';
  return {
    type: `${prefix}${alertTitle(input.locale, input.type, input.detail)}`,
    place: place.length > 35 ? `${place.slice(0, 34)}…` : place,
    time: formatLocalTime(input.openedAt, input.tz).slice(5, 16),
    code: input.replyCode ?? '',
  };
}

export function smsText(input: SmsTextInput): string {
  const T = TEXTS[input.locale];
  const v = smsTemplateVars(input);
  const brand =
    input.locale === 'zh-CN' ? `【${labels(input.locale).brand}】` : `[${labels(input.locale).brand}] `;
  const line = fill(T.line, { prefix: '', title: v.type, place: v.place, time: v.time });
  const text = `${brand}${line}${v.code ? fill(T.reply, { code: v.code }) : ''}`.trimEnd();
  if (!input.ackUrl) return text;
  const withLink = `${text} ${input.ackUrl}`;
  return partCount(withLink) <= MAX_PARTS ? withLink : text;
}

/**
 * A notification planned without SMS text (the summary of folded alerts, written by the sweeps for
 * every channel alike) as a short text: its title and lines, cut to MAX_PARTS parts.
 */
export function smsTextOfView(view: MessageView): string {
  const lines = view.fields.map((f) => `${f.label} ${f.value}`);
  let text = [view.title, ...lines].join('\n');
  while (partCount(text) > MAX_PARTS && lines.length > 0) {
    lines.pop();
    text = [view.title, ...lines, '…'].join('\n');
  }
  return text;
}
