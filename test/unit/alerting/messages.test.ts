import { describe, expect, it } from 'vitest';
import { renderAckPage } from '../../../alerting/ackPage.ts';
import { ALERT_TYPES, type AlertType, SEVERITY_OF } from '../../../alerting/alertModel.ts';
import { escapeMarkdown } from '../../../alerting/html.ts';
import {
  alertMessage,
  LOCALES,
  renderHtml,
  renderMarkdown,
  renderText,
  subjectOf,
  summaryMessage,
} from '../../../alerting/notificationTexts.ts';
import { buildWebhookRequest } from '../../../alerting/notifiers/webhookFormats.ts';
import { MIN, T0 } from './fixtures.ts';

const XSS = '<img src=x onerror=alert(1)>';
const TZ = 'Asia/Shanghai';

function msg(type: AlertType, over: Partial<Parameters<typeof alertMessage>[0]> = {}) {
  return alertMessage({
    locale: 'zh-CN',
    tz: TZ,
    event: 'opened',
    alert: {
      id: 'a1',
      type,
      severity: SEVERITY_OF[type],
      openedAt: T0,
      count: 1,
      escalationLevel: 0,
      sensorId: 's1',
    },
    detail: { lastSeen: T0 - 3 * MIN, battery: 15, silent: 6, monitored: 10, opensToday: 6, limit: 5 },
    address: '东村三组 12 号',
    gridPath: ['曲沃县', '史村镇', '东村', '三组'],
    ackUrl: 'https://sw.example.org/ack/tok',
    ackExpiresAt: T0 + 24 * 60 * MIN,
    now: T0 + 7 * MIN,
    ...over,
  });
}

describe('messages', () => {
  it.each(
    LOCALES.flatMap((l) =>
      ALERT_TYPES.flatMap((t) =>
        (['opened', 'escalated', 'reminder'] as const).map((e) => [l, t, e] as const),
      ),
    ),
  )('%s %s %s: complete text, no unfilled placeholder', (locale, type, event) => {
    const v = msg(type, { locale, event });
    const text = renderText(v);
    expect(text).not.toMatch(/\{\w+\}/);
    expect(text).toContain('https://sw.example.org/ack/tok');
    expect(text).toContain('2026-01-10 10:00:00'); // local time in TZ_LOCAL
    expect(subjectOf(locale, v).length).toBeGreaterThan(5);
  });

  it('zh-CN breach reads as expected, with the grid path and minutes unacknowledged on escalation', () => {
    const v = msg('breach', {
      event: 'escalated',
      alert: {
        id: 'a1',
        type: 'breach',
        severity: 'critical',
        openedAt: T0,
        count: 3,
        escalationLevel: 1,
        sensorId: 's1',
      },
    });
    const text = renderText(v);
    expect(v.title).toBe('【升级】开门告警 · 东村三组 12 号');
    expect(text).toContain('曲沃县 / 史村镇 / 东村 / 三组');
    expect(text).toContain('7 分钟未确认');
    expect(text).toContain('累计次数: 3');
  });

  it('HTML escapes every interpolated value', () => {
    const v = msg('breach', {
      address: XSS,
      gridPath: [XSS],
      alert: {
        id: XSS,
        type: 'breach',
        severity: 'critical',
        openedAt: T0,
        count: 1,
        escalationLevel: 0,
        sensorId: XSS,
      },
    });
    const html = renderHtml(v);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const page = renderAckPage({
      locale: 'en',
      tz: TZ,
      state: {
        kind: 'confirm',
        alert: { title: XSS, severity: 'critical', address: XSS, gridPath: [XSS], openedAt: T0 },
      },
    });
    expect(page).not.toContain('<img');
    expect(page).toContain('<form method="post"');
    const done = renderAckPage({
      locale: 'zh-CN',
      tz: TZ,
      state: {
        kind: 'done',
        alert: { title: 't', severity: 'warning', gridPath: [], openedAt: T0 },
        ackedAt: T0,
        ackedByOther: XSS,
      },
    });
    expect(done).not.toContain('<img');
  });

  it('robot markdown neutralises links, headings and tags in values', () => {
    const v = msg('breach', { address: `[点我](http://evil.example) # ${XSS}` });
    const md = renderMarkdown(v);
    expect(md).not.toContain('](http://evil');
    expect(md).not.toContain('<img');
    expect(md).toContain('[一键确认](https://sw.example.org/ack/tok)');
    expect(escapeMarkdown('a*b')).toBe('a＊b');
    const feishu = JSON.parse(
      buildWebhookRequest(
        { url: 'https://open.feishu.cn/x', format: 'feishu' },
        { id: 'n', recipient: { id: 'r' }, subject: 's', view: v, data: {} },
        T0,
      ).body,
    );
    // The card header is plain_text (never rendered as markup); the lark_md body must be neutralised.
    expect(feishu.card.header.title.tag).toBe('plain_text');
    expect(feishu.card.elements[0].text.content).not.toContain('<img');
    expect(feishu.card.elements[0].text.content).not.toContain('](http://evil');
  });

  it('summary of folded notifications lists each', () => {
    const v = summaryMessage(
      'en',
      [
        { title: 'Door opened · A', at: T0 },
        { title: 'Door opened · B', at: T0 + MIN },
      ],
      TZ,
    );
    expect(v.title).toBe('2 alerts');
    expect(renderText(v)).toContain('2026-01-10 10:01:00: Door opened · B');
  });

  it('error pages say why', () => {
    for (const reason of ['malformed', 'tampered', 'expired', 'used', 'notFound', 'resolved'] as const) {
      expect(renderAckPage({ locale: 'en', tz: TZ, state: { kind: 'error', reason } })).toContain(
        'Cannot acknowledge',
      );
    }
  });
});
