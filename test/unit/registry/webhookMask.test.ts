import { describe, expect, it } from 'vitest';
import { maskWebhook } from '../../../registry/webhookMask.ts';

describe('maskWebhook', () => {
  it.each([
    [
      'https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789a1b2',
      'https://oapi.dingtalk.com/…a1b2',
    ],
    [
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx#secret=SECz9y8',
      'https://qyapi.weixin.qq.com/…z9y8',
    ],
    ['http://relay.internal:8081/hooks/grid-7/abcdefgh', 'http://relay.internal:8081/…efgh'],
    // user:password@ is never shown.
    ['https://bot:pa55w0rd@hooks.example.org/notify/abcdef', 'https://hooks.example.org/…cdef'],
    // Too short a rest to show 4 characters of it without showing half.
    ['https://hooks.example.org/x1y2', 'https://hooks.example.org/…'],
    ['not a url at all', '…'],
  ])('%s → %s', (url, shown) => {
    expect(maskWebhook(url)).toBe(shown);
  });
});
