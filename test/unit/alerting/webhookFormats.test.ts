import { describe, expect, it } from 'vitest';
import {
  describeTarget,
  interpretWebhookResponse,
  parseWebhookTarget,
} from '../../../alerting/notifiers/webhookFormats.ts';
import { T0 } from './fixtures.ts';

describe('webhook targets', () => {
  it.each([
    ['https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K', 'wecom', undefined],
    ['https://oapi.dingtalk.com/robot/send?access_token=T#secret=SECabc', 'dingtalk', 'SECabc'],
    ['https://open.feishu.cn/open-apis/bot/v2/hook/0123456789abcdef0123#secret=s', 'feishu', 's'],
    ['http://127.0.0.1:9000/hook#format=dingtalk&secret=x', 'dingtalk', 'x'],
    ['https://relay.example.org/in', 'generic', undefined],
  ])('%s → %s', (spec, format, secret) => {
    const t = parseWebhookTarget(spec);
    expect(t.format).toBe(format);
    expect(t.secret).toBe(secret);
    expect(t.url).not.toContain('#');
  });

  it('rejects other schemes and unknown formats', () => {
    expect(() => parseWebhookTarget('ftp://x/y')).toThrow();
    expect(() => parseWebhookTarget('https://x/y#format=telegram')).toThrow();
  });

  it('log descriptions hide tokens in the query and long path segments', () => {
    const d = describeTarget(
      parseWebhookTarget('https://open.feishu.cn/open-apis/bot/v2/hook/0123456789abcdef0123?x=SECRET'),
    );
    expect(d).not.toContain('0123456789abcdef0123');
    expect(d).not.toContain('SECRET');
  });
});

describe('interpreting answers', () => {
  it.each([
    ['generic', 204, '', null, 'delivered'],
    ['generic', 500, 'oops', null, 'retryable'],
    ['generic', 429, '', '7', 'retryable'],
    ['generic', 404, 'no', null, 'permanent'],
    ['generic', 302, '', null, 'permanent'],
    ['wecom', 200, '{"errcode":0,"errmsg":"ok"}', null, 'delivered'],
    ['wecom', 200, '{"errcode":93000,"errmsg":"invalid webhook url"}', null, 'permanent'],
    ['wecom', 200, '{"errcode":45009,"errmsg":"api freq out of limit"}', null, 'retryable'],
    ['dingtalk', 200, '{"errcode":310000,"errmsg":"sign not match"}', null, 'permanent'],
    ['dingtalk', 200, '{"errcode":130101,"errmsg":"send too fast"}', null, 'retryable'],
    ['dingtalk', 200, '<html>proxy</html>', null, 'retryable'],
    ['feishu', 200, '{"code":0,"msg":"success","data":{}}', null, 'delivered'],
    ['feishu', 200, '{"StatusCode":0,"StatusMessage":"success"}', null, 'delivered'],
    ['feishu', 200, '{"code":19021,"msg":"sign match fail"}', null, 'permanent'],
    ['feishu', 400, '{"code":9499,"msg":"Bad Request"}', null, 'permanent'],
    ['feishu', 200, '{"code":9499,"msg":"too many request"}', null, 'retryable'],
    ['feishu', 400, '{"code":9499,"msg":"too many request"}', null, 'retryable'],
    ['feishu', 200, '{"code":11232,"msg":"frequency limited"}', null, 'retryable'],
  ] as const)('%s HTTP %s %s → %s', (format, status, body, retryAfter, expected) => {
    const r = interpretWebhookResponse(format, status, body, retryAfter, T0);
    expect(r.status).toBe(expected);
    if (r.status !== 'delivered') expect(r.error.length).toBeGreaterThan(3);
    if (retryAfter && r.status === 'retryable') expect(r.retryAfterMs).toBe(7000);
  });
});
