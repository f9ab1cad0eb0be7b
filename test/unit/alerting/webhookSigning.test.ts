import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  dingtalkSign,
  dingtalkSignedUrl,
  feishuSign,
  genericSign,
} from '../../../alerting/notifiers/webhookSigning.ts';

/**
 * Known answers computed independently of the implementation: WebCrypto (SubtleCrypto) instead of
 * node:crypto's createHmac, following each vendor's documented recipe step by step.
 */
async function hmacBase64(key: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const k = await webcrypto.subtle.importKey(
    'raw',
    enc.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const sig = await webcrypto.subtle.sign('HMAC', k, enc.encode(message));
  return Buffer.from(sig).toString('base64');
}

const SECRET = 'SEC1234567890abcdef';

describe('robot signing', () => {
  it('DingTalk: HMAC-SHA256(key=secret, msg=timestamp\\nsecret), base64, URL-encoded into the query', async () => {
    const ts = 1_700_000_000_000;
    const expected = await hmacBase64(SECRET, `${ts}\n${SECRET}`);
    expect(dingtalkSign(SECRET, ts)).toBe(expected);
    const url = new URL(
      dingtalkSignedUrl('https://oapi.dingtalk.com/robot/send?access_token=abc', SECRET, ts),
    );
    expect(url.searchParams.get('access_token')).toBe('abc');
    expect(url.searchParams.get('timestamp')).toBe(String(ts));
    expect(url.searchParams.get('sign')).toBe(expected);
    // Base64 '+', '/' and '=' must arrive percent-encoded.
    expect(url.search).toContain(`sign=${encodeURIComponent(expected)}`);
  });

  it('Feishu: HMAC-SHA256(key=timestamp\\nsecret, msg=""), base64', async () => {
    const ts = 1_700_000_000;
    expect(feishuSign(SECRET, ts)).toBe(await hmacBase64(`${ts}\n${SECRET}`, ''));
  });

  it('fixed vectors stay fixed (guards against accidental changes)', async () => {
    expect(dingtalkSign('secret', 1_600_000_000_000)).toBe(
      await hmacBase64('secret', '1600000000000\nsecret'),
    );
    expect(feishuSign('secret', 1_600_000_000)).toBe(await hmacBase64('1600000000\nsecret', ''));
    expect(dingtalkSign('secret', 1_600_000_000_000)).not.toBe(feishuSign('secret', 1_600_000_000));
  });

  it('generic: sha256=hex HMAC(secret, ts.body)', async () => {
    const hex = Buffer.from(await hmacBase64('s', '5.{"a":1}'), 'base64').toString('hex');
    expect(genericSign('s', 5, '{"a":1}')).toBe(`sha256=${hex}`);
  });
});
