/**
 * @-mentions in robot messages (issue 17.6), per vendor and message type, as their documentation
 * says (notifiers/robotMentions.ts has the quotes):
 * - WeCom group robot (https://developer.work.weixin.qq.com/document/path/91770): `text` takes
 *   `mentioned_list` / `mentioned_mobile_list`; `markdown` only the `<@userid>` extension.
 * - DingTalk custom robot (https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages):
 *   `at.atMobiles` / `at.atUserIds`, and the text must contain `@<mobile>` / `@<userId>`.
 * - Feishu custom bot (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot): by
 *   open_id only; in a card's `lark_md`, `<at id=ou_…></at>`.
 */
import { describe, expect, it } from 'vitest';
import { alertMessage, summaryMessage } from '../../../alerting/notificationTexts.ts';
import type { Notification, Recipient } from '../../../alerting/notifiers/types.ts';
import {
  BODY_LIMITS,
  buildWebhookRequest,
  parseWebhookTarget,
} from '../../../alerting/notifiers/webhookFormats.ts';
import { T0 } from './fixtures.ts';

const WECOM = parseWebhookTarget('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K');
const DING = parseWebhookTarget('https://oapi.dingtalk.com/robot/send?access_token=T1');
const FEISHU = parseWebhookTarget('https://open.feishu.cn/open-apis/bot/v2/hook/0123456789abcdef0123');

function breach(mention?: Recipient['mention']): Notification {
  const view = alertMessage({
    locale: 'zh-CN',
    tz: 'Asia/Shanghai',
    event: 'opened',
    alert: { id: 'a1', type: 'breach', severity: 'critical', openedAt: T0, count: 1, escalationLevel: 0 },
    address: '东村三组 12 号',
    gridPath: ['曲沃县', '史村镇', '东村', '三组'],
    ackUrl: 'https://sw.example.org/ack/TOKEN',
    ackExpiresAt: T0 + 86_400_000,
    now: T0,
  });
  return { id: 'n1', recipient: { id: 'w1', ...(mention ? { mention } : {}) }, subject: 's', view, data: {} };
}

const body = (req: { body: string }) => JSON.parse(req.body);

describe('WeCom group robot', () => {
  it('a userid: markdown with <@userid> at the end', () => {
    const b = body(buildWebhookRequest(WECOM, breach({ userId: 'zhangsan', phone: '13800138000' }), T0));
    expect(b.msgtype).toBe('markdown');
    expect(b.markdown.content).toMatch(/\n\n<@zhangsan>$/);
    expect(b.markdown.content).toContain('### 开门告警 · 东村三组 12 号');
    expect(b.markdown.mentioned_mobile_list).toBeUndefined();
  });

  it('only a phone: a text message with mentioned_mobile_list (markdown cannot mention by phone)', () => {
    const b = body(buildWebhookRequest(WECOM, breach({ phone: '+86 138-0013-8000' }), T0));
    expect(b.msgtype).toBe('text');
    expect(b.text.mentioned_mobile_list).toEqual(['13800138000']);
    expect(b.text.content).toContain('开门告警 · 东村三组 12 号');
    expect(b.text.content).toContain('https://sw.example.org/ack/TOKEN');
    expect(b.text.mentioned_list).toBeUndefined();
  });

  it('nobody to mention: markdown as before', () => {
    const b = body(buildWebhookRequest(WECOM, breach(), T0));
    expect(b.msgtype).toBe('markdown');
    expect(b.markdown.content).not.toContain('<@');
  });

  it('the text message keeps within 2048 bytes, the markdown with its mention within 4096', () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ title: `开门告警 · 东村三组 ${i} 号`, at: T0 }));
    const view = summaryMessage('zh-CN', items, 'Asia/Shanghai');
    const n = (mention: Recipient['mention']): Notification => ({
      id: 'n',
      recipient: { id: 'w', mention },
      subject: 's',
      view,
      data: {},
    });
    const text = body(buildWebhookRequest(WECOM, n({ phone: '13800138000' }), T0));
    expect(Buffer.byteLength(text.text.content)).toBeLessThanOrEqual(BODY_LIMITS.wecomTextBytes);
    expect(text.text.content).toMatch(/另有 \d+ 条/);
    const md = body(buildWebhookRequest(WECOM, n({ userId: 'zhangsan' }), T0));
    expect(Buffer.byteLength(md.markdown.content)).toBeLessThanOrEqual(BODY_LIMITS.wecomMarkdownBytes);
    expect(md.markdown.content).toMatch(/<@zhangsan>$/);
  });
});

describe('DingTalk custom robot', () => {
  it('a phone: at.atMobiles and @mobile in the markdown text', () => {
    const b = body(buildWebhookRequest(DING, breach({ phone: '138 0013 8000' }), T0));
    expect(b.msgtype).toBe('markdown');
    expect(b.at).toEqual({ atMobiles: ['13800138000'], atUserIds: [], isAtAll: false });
    expect(b.markdown.text).toMatch(/\n\n@13800138000$/);
  });

  it('a user id and a phone: both, each named in the text', () => {
    const b = body(buildWebhookRequest(DING, breach({ phone: '13800138000', userId: 'manager4521' }), T0));
    expect(b.at).toEqual({ atMobiles: ['13800138000'], atUserIds: ['manager4521'], isAtAll: false });
    expect(b.markdown.text).toContain('@manager4521 @13800138000');
  });

  it('nobody to mention: no at', () => {
    const b = body(buildWebhookRequest(DING, breach(), T0));
    expect(b.at).toBeUndefined();
    expect(b.markdown.text).not.toContain('@1');
  });
});

describe('Feishu custom bot', () => {
  it('an open_id: <at id=…></at> in a lark_md element of the card, first', () => {
    const b = body(
      buildWebhookRequest(FEISHU, breach({ userId: 'ou_5ad573a6411d72b8', phone: '13800138000' }), T0),
    );
    expect(b.msg_type).toBe('interactive');
    expect(b.card.elements[0]).toEqual({
      tag: 'div',
      text: { tag: 'lark_md', content: '<at id=ou_5ad573a6411d72b8></at>' },
    });
    expect(b.card.header.title.content).toBe('开门告警 · 东村三组 12 号');
  });

  it('only a phone: no mention (a custom bot cannot mention by phone), the card as before', () => {
    const withPhone = buildWebhookRequest(FEISHU, breach({ phone: '13800138000' }), T0);
    expect(withPhone.body).toBe(buildWebhookRequest(FEISHU, breach(), T0).body);
    expect(withPhone.body).not.toContain('<at');
  });
});
