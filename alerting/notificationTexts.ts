import type { Alert, AlertType, Severity } from './alertModel.ts';
import { escapeHtml, escapeMarkdown } from './html.ts';
import { formatLocalTime } from './localTime.ts';

/**
 * Every text a person reads, in zh-CN and en. Texts are built as a plain `MessageView` (no markup);
 * each channel renders it and escapes at render time (HTML for e-mail and the ack page, robot
 * markdown for WeCom/DingTalk/Feishu), so no interpolated value can inject markup.
 */

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];

export type LifecycleEvent = 'opened' | 'escalated' | 'reminder' | 'assigned';

export interface MessageField {
  label: string;
  value: string;
}

export interface MessageView {
  severity: Severity | 'info';
  title: string;
  /** One or two sentences: what happened and what to do. */
  intro: string;
  fields: MessageField[];
  action?: { label: string; url: string };
  footer?: string;
  /**
   * For lists (summaries): the localized line that stands for the fields a channel had to leave out
   * to fit its size limit, with `{count}` for how many.
   */
  more?: string;
}

type Vars = Record<string, string | number>;

/** `{name}` placeholders; a missing variable stays visible rather than silently empty. */
export function interpolate(template: string, vars: Vars): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

interface TypeTexts {
  title: string;
  intro: string;
}

const TYPE_TEXTS: Record<Locale, Record<AlertType, TypeTexts>> = {
  'zh-CN': {
    breach: { title: '开门告警', intro: '隔离户在布防期间开门，请立即核实处置。' },
    offline: { title: '门磁离线', intro: '门磁已失联（最后在线 {lastSeen}），请检查设备或上门查看。' },
    tamper: { title: '门磁防拆告警', intro: '门磁被拆卸或遭破坏，请立即核实处置。' },
    lowBattery: { title: '门磁电量低', intro: '门磁电量 {battery}%，请安排技术人员更换电池。' },
    outage: {
      title: '区域门磁大面积失联',
      intro: '该网格下 {silent}/{monitored} 个门磁在同一时段失联，可能是停电或网络故障。',
    },
    openCount: { title: '开门次数超限', intro: '该户今日已开门 {opensToday} 次，超过每日上限 {limit} 次。' },
    doorLeftOpen: {
      title: '门长时间未关',
      intro: '报备的开门时段已结束 {limitMinutes} 分钟，门仍未关闭，请核实处置。',
    },
  },
  en: {
    breach: {
      title: 'Door opened',
      intro: 'A sealed door opened while the household is under quarantine. Check now.',
    },
    offline: {
      title: 'Seal offline',
      intro: 'The seal went silent (last seen {lastSeen}). Check the device or visit.',
    },
    tamper: { title: 'Seal tampered', intro: 'The seal was removed or tampered with. Check now.' },
    lowBattery: {
      title: 'Seal battery low',
      intro: 'Seal battery at {battery}%. Please have the battery replaced.',
    },
    outage: {
      title: 'Area outage',
      intro:
        '{silent} of {monitored} seals under this grid node went silent together: likely a power or network failure.',
    },
    openCount: {
      title: 'Too many openings',
      intro: 'The door opened {opensToday} times today, above the daily limit of {limit}.',
    },
    doorLeftOpen: {
      title: 'Door left open',
      intro: 'The door is still open {limitMinutes} min after its announced opening ended. Check now.',
    },
  },
};

/** A gateway's outage (rules/gatewayOutage.ts): an `outage` whose detail names the gateway. */
const GATEWAY_TEXTS: Record<Locale, TypeTexts> = {
  'zh-CN': {
    title: '网关失联',
    intro: '网关 {gateway} 已失联，其下 {silent} 个门磁无法上报，请技术人员检查网关的电源和网络。',
  },
  en: {
    title: 'Gateway silent',
    intro:
      'Gateway {gateway} went silent: the {silent} seals behind it cannot report. Check its power and network.',
  },
};

const EVENT_TEXTS: Record<Locale, Record<LifecycleEvent, { prefix: string; line: string }>> = {
  'zh-CN': {
    opened: { prefix: '', line: '' },
    escalated: { prefix: '【升级】', line: '此告警 {minutes} 分钟未确认，已升级给您（第 {level} 级）。' },
    reminder: { prefix: '【提醒】', line: '此告警已 {minutes} 分钟未确认，请尽快处理。' },
    assigned: { prefix: '【转派】', line: '此告警已转派给您，请尽快处理。' },
  },
  en: {
    opened: { prefix: '', line: '' },
    escalated: {
      prefix: '[Escalated] ',
      line: 'Unacknowledged for {minutes} min: escalated to you (level {level}).',
    },
    reminder: { prefix: '[Reminder] ', line: 'Still unacknowledged after {minutes} min. Please act.' },
    assigned: { prefix: '[Assigned] ', line: 'This alert was assigned to you. Please act.' },
  },
};

const SEVERITY_TEXT: Record<Locale, Record<Severity | 'info', string>> = {
  'zh-CN': { critical: '紧急', warning: '警告', maintenance: '维护', info: '通知' },
  en: { critical: 'Critical', warning: 'Warning', maintenance: 'Maintenance', info: 'Info' },
};

const LABELS = {
  'zh-CN': {
    address: '地址',
    grid: '网格',
    time: '时间',
    severity: '级别',
    count: '累计次数',
    sensor: '门磁编号',
    alertId: '告警编号',
    ack: '一键确认',
    linkValid: '确认链接有效期至 {until}。',
    noAck: '请登录系统处理此告警。',
    summaryTitle: '{count} 条告警汇总',
    summaryIntro: '短时间内告警较多，以下合并发送：',
    summaryMore: '……另有 {count} 条',
    batteryFlagLow: '门磁报告电池电量低，请安排技术人员更换电池。',
    brand: 'SealWatch 门磁监测',
  },
  en: {
    address: 'Address',
    grid: 'Grid',
    time: 'Time',
    severity: 'Severity',
    count: 'Occurrences',
    sensor: 'Seal',
    alertId: 'Alert',
    ack: 'Acknowledge',
    linkValid: 'The acknowledge link is valid until {until}.',
    noAck: 'Open SealWatch to handle this alert.',
    summaryTitle: '{count} alerts',
    summaryIntro: 'Many alerts arrived at once; here they are together:',
    summaryMore: '… and {count} more',
    batteryFlagLow: 'The seal reports its battery low. Please have the battery replaced.',
    brand: 'SealWatch',
  },
} as const satisfies Record<Locale, Record<string, string>>;

export function labels(locale: Locale) {
  return LABELS[locale];
}

export function severityText(locale: Locale, s: Severity | 'info'): string {
  return SEVERITY_TEXT[locale][s];
}

/** A gateway's outage has its own title (its detail names the gateway). */
export function alertTitle(locale: Locale, type: AlertType, detail?: Record<string, unknown>): string {
  if (type === 'outage' && typeof detail?.gatewayId === 'string') return GATEWAY_TEXTS[locale].title;
  return TYPE_TEXTS[locale][type].title;
}

export interface AlertMessageInput {
  locale: Locale;
  tz: string;
  event: LifecycleEvent;
  alert: Pick<Alert, 'id' | 'type' | 'severity' | 'openedAt' | 'count' | 'escalationLevel'> & {
    sensorId?: string | undefined;
  };
  /** Values for the type's sentence: lastSeen (epoch ms), battery, silent, monitored, opensToday, limit. */
  detail?: Record<string, unknown>;
  address?: string | undefined;
  /** Names along the grid path, root first. */
  gridPath: readonly string[];
  ackUrl?: string | undefined;
  ackExpiresAt?: number | undefined;
  /** Now, for "unacknowledged for N min" in escalations and reminders. */
  now: number;
}

export function alertMessage(input: AlertMessageInput): MessageView {
  const { locale, tz, alert } = input;
  const L = LABELS[locale];
  const d = input.detail ?? {};
  const gateway = alert.type === 'outage' ? (d.gatewayName ?? d.gatewayId) : undefined;
  const t = typeof gateway === 'string' ? GATEWAY_TEXTS[locale] : TYPE_TEXTS[locale][alert.type];
  const ev = EVENT_TEXTS[locale][input.event];
  const vars: Vars = {
    gateway: typeof gateway === 'string' ? gateway : '?',
    lastSeen: typeof d.lastSeen === 'number' ? formatLocalTime(d.lastSeen, tz) : '?',
    battery: typeof d.battery === 'number' ? d.battery : '?',
    silent: typeof d.silent === 'number' ? d.silent : '?',
    monitored: typeof d.monitored === 'number' ? d.monitored : '?',
    opensToday: typeof d.opensToday === 'number' ? d.opensToday : alert.count,
    limit: typeof d.limit === 'number' ? d.limit : '?',
    limitMinutes: typeof d.limitMs === 'number' ? Math.round(d.limitMs / 60_000) : '?',
    minutes: Math.max(0, Math.floor((input.now - alert.openedAt) / 60_000)),
    level: alert.escalationLevel,
  };
  // A device that reports only its low-battery flag (Zigbee2MQTT `battery_low`) has no percentage.
  const typeIntro =
    alert.type === 'lowBattery' && typeof d.battery !== 'number' && d.batteryLow === true
      ? L.batteryFlagLow
      : t.intro;
  const intro = [interpolate(typeIntro, vars), ev.line ? interpolate(ev.line, vars) : '']
    .filter(Boolean)
    .join(' ');
  const fields: MessageField[] = [];
  if (input.address) fields.push({ label: L.address, value: input.address });
  if (input.gridPath.length > 0) fields.push({ label: L.grid, value: input.gridPath.join(' / ') });
  fields.push({ label: L.time, value: formatLocalTime(alert.openedAt, tz) });
  fields.push({ label: L.severity, value: SEVERITY_TEXT[locale][alert.severity] });
  if (alert.count > 1) fields.push({ label: L.count, value: String(alert.count) });
  if (alert.sensorId) fields.push({ label: L.sensor, value: alert.sensorId });
  fields.push({ label: L.alertId, value: alert.id });
  const view: MessageView = {
    severity: alert.severity,
    title: `${ev.prefix}${t.title}${input.address ? ` · ${input.address}` : ''}`,
    intro,
    fields,
    footer:
      input.ackUrl && input.ackExpiresAt !== undefined
        ? interpolate(L.linkValid, { until: formatLocalTime(input.ackExpiresAt, tz) })
        : L.noAck,
  };
  if (input.ackUrl) view.action = { label: L.ack, url: input.ackUrl };
  return view;
}

/** One notification standing for several that the per-recipient limit folded together. */
export function summaryMessage(
  locale: Locale,
  items: readonly { title: string; at: number; url?: string }[],
  tz: string,
): MessageView {
  const L = LABELS[locale];
  return {
    severity: 'info',
    title: interpolate(L.summaryTitle, { count: items.length }),
    intro: L.summaryIntro,
    fields: items.map((i) => ({ label: formatLocalTime(i.at, tz), value: i.title })),
    more: L.summaryMore,
  };
}

/** E-mail subject: brand, severity and title. */
export function subjectOf(locale: Locale, view: MessageView): string {
  return `[${LABELS[locale].brand}] ${SEVERITY_TEXT[locale][view.severity]}: ${view.title}`;
}

export function renderText(view: MessageView): string {
  const lines = [view.title, '', view.intro, ''];
  for (const f of view.fields) lines.push(`${f.label}: ${f.value}`);
  if (view.action) lines.push('', `${view.action.label}: ${view.action.url}`);
  if (view.footer) lines.push('', view.footer);
  return `${lines.join('\n')}\n`;
}

const SEVERITY_COLOR: Record<MessageView['severity'], string> = {
  critical: '#c62828',
  warning: '#e65100',
  maintenance: '#1565c0',
  info: '#37474f',
};

/** Simple, large, table-based HTML that mail clients and phones render alike. */
export function renderHtml(view: MessageView, lang: Locale = 'zh-CN'): string {
  const color = SEVERITY_COLOR[view.severity];
  const rows = view.fields
    .map(
      (f) =>
        `<tr><td style="padding:6px 12px 6px 0;color:#555;white-space:nowrap;vertical-align:top">${escapeHtml(f.label)}</td>` +
        `<td style="padding:6px 0;font-weight:bold">${escapeHtml(f.value)}</td></tr>`,
    )
    .join('');
  const button = view.action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(view.action.url)}" style="display:inline-block;background:${color};color:#fff;text-decoration:none;font-size:22px;font-weight:bold;padding:16px 32px;border-radius:8px">${escapeHtml(view.action.label)}</a></p>`
    : '';
  const footer = view.footer ? `<p style="color:#666;font-size:14px">${escapeHtml(view.footer)}</p>` : '';
  return (
    `<!DOCTYPE html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(view.title)}</title></head>` +
    `<body style="margin:0;padding:16px;font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;font-size:18px;line-height:1.5;color:#222">` +
    `<h1 style="margin:0 0 12px;font-size:26px;color:${color}">${escapeHtml(view.title)}</h1>` +
    `<p style="margin:0 0 16px">${escapeHtml(view.intro)}</p>` +
    `<table style="border-collapse:collapse;font-size:18px">${rows}</table>${button}${footer}</body></html>`
  );
}

/** The markdown subset WeCom, DingTalk and Feishu (lark_md) all render: heading, bold, link. */
export function renderMarkdown(view: MessageView, opts: { heading?: boolean } = {}): string {
  const lines: string[] = [];
  if (opts.heading !== false) lines.push(`### ${escapeMarkdown(view.title)}`);
  lines.push(escapeMarkdown(view.intro), '');
  for (const f of view.fields) lines.push(`**${escapeMarkdown(f.label)}**: ${escapeMarkdown(f.value)}  `);
  if (view.action) lines.push('', `[${escapeMarkdown(view.action.label)}](${markdownUrl(view.action.url)})`);
  if (view.footer) lines.push('', escapeMarkdown(view.footer));
  return lines.join('\n');
}

/** A URL inside `(...)`: characters that would end the link target are percent-encoded. */
function markdownUrl(url: string): string {
  return url.replace(/[()\s<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

const REPORT_LABELS = {
  'zh-CN': {
    subject: '门磁监测日报 · {node} · {date}',
    heading: '门磁监测日报',
    period: '统计时段：{from} 至 {to}',
    sealed: '在管隔离户（已布防）',
    breaches: '开门告警',
    outcomes: '处置结果',
    visited: '已上门',
    falseAlarm: '误报',
    violationConfirmed: '确认违规',
    sensorFault: '设备故障',
    unresolved: '未结案',
    alertsByType: '各类告警',
    offline: '当前离线门磁',
    tta: '确认用时',
    median: '中位数',
    p90: '90 分位',
    max: '最长',
    none: '无',
    stillOpen: '未结案告警',
    oldestOpen: '最早的未结案告警',
    byChild: '下级网格',
    node: '网格',
    open: '未结案',
    minutes: '{n} 分钟',
    alertTypes: {
      breach: '开门',
      offline: '离线',
      tamper: '防拆',
      lowBattery: '低电量',
      outage: '区域失联',
      openCount: '开门次数超限',
      doorLeftOpen: '门长时间未关',
    },
  },
  en: {
    subject: 'SealWatch daily report · {node} · {date}',
    heading: 'SealWatch daily report',
    period: 'Period: {from} to {to}',
    sealed: 'Sealed households',
    breaches: 'Breaches',
    outcomes: 'Outcomes',
    visited: 'visited',
    falseAlarm: 'false alarm',
    violationConfirmed: 'violation confirmed',
    sensorFault: 'sensor fault',
    unresolved: 'unresolved',
    alertsByType: 'Alerts by type',
    offline: 'Seals offline now',
    tta: 'Time to acknowledge',
    median: 'median',
    p90: 'p90',
    max: 'max',
    none: 'none',
    stillOpen: 'Still-open alerts',
    oldestOpen: 'Oldest still-open alerts',
    byChild: 'Sub-areas',
    node: 'Area',
    open: 'open',
    minutes: '{n} min',
    alertTypes: {
      breach: 'breach',
      offline: 'offline',
      tamper: 'tamper',
      lowBattery: 'low battery',
      outage: 'outage',
      openCount: 'too many openings',
      doorLeftOpen: 'door left open',
    },
  },
} as const;

export function reportLabels(locale: Locale) {
  return REPORT_LABELS[locale];
}
