/**
 * The vendors' fine print (issue 15, "Vendor details"), checked against their documentation:
 * - DingTalk custom robot: 20 messages a minute per robot, beyond that throttled for 10 minutes
 *   (https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages), answer
 *   errcode 130101 "send too fast, exceed 20 times per minute".
 * - Feishu custom bot: 100 a minute and 5 a second per bot, request body at most 20 KB
 *   (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot); code 9499 "too many request"
 *   is its rate-limit answer (https://github.com/kubesphere/notification-manager/pull/126).
 * - DingTalk body at most 20,000 bytes: errcode 460101 "message too long, exceed 20000 bytes"
 *   (https://github.com/timonwong/prometheus-webhook-dingtalk/issues/30).
 * - WeCom group robot: 20 a minute, markdown content at most 4096 bytes
 *   (https://developer.work.weixin.qq.com/document/path/91770).
 */
import { describe, expect, it } from 'vitest';
import { summaryMessage } from '../../../alerting/notificationTexts.ts';
import { ROBOT_LIMITS, RobotRateGate } from '../../../alerting/notifiers/robotRateLimit.ts';
import type { Notification } from '../../../alerting/notifiers/types.ts';
import {
  BODY_LIMITS,
  buildWebhookRequest,
  interpretWebhookResponse,
  parseWebhookTarget,
  truncateUtf8,
} from '../../../alerting/notifiers/webhookFormats.ts';
import { T0 } from './fixtures.ts';

const DING = parseWebhookTarget('https://oapi.dingtalk.com/robot/send?access_token=T1');
const FEISHU = parseWebhookTarget('https://open.feishu.cn/open-apis/bot/v2/hook/0123456789abcdef0123');
const WECOM = parseWebhookTarget('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K');

describe('robot rate-limit answers', () => {
  it('DingTalk errcode 130101 waits 10 minutes, not 60 s', () => {
    const r = interpretWebhookResponse(
      'dingtalk',
      200,
      '{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}',
      null,
      T0,
    );
    expect(r.status).toBe('retryable');
    expect(r.status === 'retryable' && r.retryAfterMs).toBe(10 * 60_000);
  });

  it('Feishu code 9499 "too many request" is a rate limit and is retried', () => {
    const r = interpretWebhookResponse('feishu', 200, '{"code":9499,"msg":"too many request"}', null, T0);
    expect(r.status).toBe('retryable');
    // Any other 9499 is a bad request: permanent.
    expect(
      interpretWebhookResponse('feishu', 200, '{"code":9499,"msg":"Bad Request"}', null, T0).status,
    ).toBe('permanent');
  });
});

describe('rate limits belong to the robot URL', () => {
  it('WeCom and DingTalk: 20 a minute per robot, shared; the 21st waits for the window', () => {
    const gate = new RobotRateGate();
    for (let i = 0; i < 20; i++) {
      expect(gate.nextFreeAt(DING, T0 + i)).toBeNull();
      gate.record(DING, T0 + i);
    }
    expect(gate.nextFreeAt(DING, T0 + 100)).toBe(T0 + 60_000);
    // Another robot has its own budget.
    const other = parseWebhookTarget('https://oapi.dingtalk.com/robot/send?access_token=T2');
    expect(gate.nextFreeAt(other, T0 + 100)).toBeNull();
    expect(ROBOT_LIMITS.wecom).toEqual([{ limit: 20, windowMs: 60_000 }]);
    expect(gate.nextFreeAt(WECOM, T0 + 100)).toBeNull();
  });

  it('Feishu: 5 a second and 100 a minute', () => {
    const gate = new RobotRateGate();
    for (let i = 0; i < 5; i++) gate.record(FEISHU, T0);
    expect(gate.nextFreeAt(FEISHU, T0 + 10)).toBe(T0 + 1_000);
    for (let s = 1; s < 20; s++) for (let i = 0; i < 5; i++) gate.record(FEISHU, T0 + s * 1_000);
    // 100 in the minute: the next is free when the first second's five leave the minute window.
    expect(gate.nextFreeAt(FEISHU, T0 + 21_000)).toBe(T0 + 60_000);
  });

  it('a rate-limit answer blocks the robot until the wait is over', () => {
    const gate = new RobotRateGate();
    gate.block(DING, T0 + 10 * 60_000);
    expect(gate.nextFreeAt(DING, T0 + 60_000)).toBe(T0 + 10 * 60_000);
    expect(gate.nextFreeAt(DING, T0 + 10 * 60_000)).toBeNull();
  });
});

function summary(count: number, locale: 'zh-CN' | 'en' = 'zh-CN'): Notification {
  const items = Array.from({ length: count }, (_, i) => ({
    title: `开门告警 · 史村镇东村三组 ${i + 1} 号院（隔离户）`,
    at: T0 + i * 1000,
  }));
  const view = summaryMessage(locale, items, 'Asia/Shanghai');
  return { id: 'n1', recipient: { id: 'w1' }, subject: 's', view, data: {} };
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('body limits: summaries are cut to fit, on character boundaries, with "and N more"', () => {
  it('WeCom markdown content ≤ 4096 bytes, the rest counted in Chinese', () => {
    const req = buildWebhookRequest(WECOM, summary(200), T0);
    const content: string = JSON.parse(req.body).markdown.content;
    expect(bytes(content)).toBeLessThanOrEqual(BODY_LIMITS.wecomMarkdownBytes);
    expect(content).not.toContain('\uFFFD');
    const m = /另有 (\d+) 条/.exec(content);
    expect(m).not.toBeNull();
    const shown = (content.match(/号院/g) ?? []).length;
    expect(shown + Number(m?.[1])).toBe(200);
    expect(shown).toBeGreaterThan(10);
  });

  it('DingTalk body ≤ 20,000 bytes', () => {
    const req = buildWebhookRequest(DING, summary(600), T0);
    expect(bytes(req.body)).toBeLessThanOrEqual(20_000);
    const text: string = JSON.parse(req.body).markdown.text;
    expect(text).toMatch(/另有 \d+ 条/);
  });

  it('Feishu body ≤ 20 KB, localized in English too', () => {
    const req = buildWebhookRequest(FEISHU, summary(600, 'en'), T0);
    expect(bytes(req.body)).toBeLessThanOrEqual(20_000);
    expect(req.body).toMatch(/… and \d+ more/);
  });

  it('a summary that fits is sent whole', () => {
    const req = buildWebhookRequest(WECOM, summary(3), T0);
    expect(req.body).not.toMatch(/另有/);
  });

  it('plain truncation never splits a UTF-8 character', () => {
    const s = '门磁'.repeat(2000);
    for (const max of [4096, 4095, 4094, 100, 7]) {
      const t = truncateUtf8(s, max);
      expect(bytes(t)).toBeLessThanOrEqual(max);
      expect(Buffer.from(t, 'utf8').toString('utf8')).toBe(t);
      expect(t.endsWith('…')).toBe(true);
      expect(t.slice(0, -1)).toMatch(/^(门磁)*门?$/);
    }
  });
});

describe('queue and fold behind a full robot', () => {
  it("a recipient's summary waits for its robot, and the engine's timer is told when", async () => {
    const { RecipientLimiter } = await import('../../../alerting/recipientLimiter.ts');
    const l = new RecipientLimiter<string>({ limit: 6, windowMs: 60_000 });
    l.restore('webhook:w1', 'a');
    l.restore('webhook:w1', 'b');
    const robotFreeAt = T0 + 10 * 60_000;
    const readyAt = () => robotFreeAt;
    expect(l.dueSummaries(T0, readyAt)).toEqual([]);
    expect(l.nextDueAt(readyAt)).toBe(robotFreeAt);
    expect(l.dueSummaries(robotFreeAt, readyAt)).toEqual([{ recipientId: 'webhook:w1', items: ['a', 'b'] }]);
  });
});
