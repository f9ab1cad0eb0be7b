/**
 * The SMS channel's pure parts: encoding and concatenation (SMPP 3.4 §5.2.12 esm_class, §5.2.19
 * data_coding; 3GPP TS 23.040 §9.2.3.24.1 concatenation header), receipts (SMPP 3.4 Appendix B,
 * §5.2.28 message_state), phone numbers, reply codes, the SMS text and SMS_URL.
 */
import { describe, expect, it } from 'vitest';
import { codeIn } from '../../../alerting/engine/smsReplyFlow.ts';
import {
  isDeliveryReceipt,
  messageIdForms,
  parseReceipt,
} from '../../../alerting/notifiers/sms/deliveryReceipt.ts';
import { normalisePhone, smppAddress } from '../../../alerting/notifiers/sms/phoneNumber.ts';
import { SmsReplyCodes } from '../../../alerting/notifiers/sms/replyCodes.ts';
import {
  alphabetOf,
  DATA_CODING_GSM,
  DATA_CODING_UCS2,
  decodeShortMessage,
  ESM_CLASS_UDHI,
  encodeSms,
  partCount,
} from '../../../alerting/notifiers/sms/smsEncoding.ts';
import { MAX_PARTS, smsTemplateVars, smsText } from '../../../alerting/notifiers/sms/smsText.ts';
import { ConfigError, loadConfig } from '../../../core/config.ts';
import { parseSmsUrl, redactSmsUrl } from '../../../core/smsUrl.ts';

const reassemble = (parts: ReturnType<typeof encodeSms>) =>
  parts.map((p) => decodeShortMessage(p.shortMessage, p.dataCoding, p.esmClass).text).join('');

describe('SMS encoding (SMPP 3.4 §5.2.19 data_coding, §5.2.12 esm_class)', () => {
  it('sends GSM default-alphabet text as data_coding 0 and anything else as UCS-2 (0x08)', () => {
    expect(alphabetOf('Door opened: 12 Main St, 08:03. Reply 417')).toBe('gsm');
    expect(alphabetOf('开门告警')).toBe('ucs2');
    // GSM escape-table characters go as UCS-2: SMSCs do not all map them alike.
    expect(alphabetOf('price [5]')).toBe('ucs2');
    const [gsm] = encodeSms('Hi @ 5', 1);
    expect(gsm?.dataCoding).toBe(DATA_CODING_GSM);
    expect([...(gsm?.shortMessage ?? [])]).toEqual([0x48, 0x69, 0x20, 0x00, 0x20, 0x35]);
    const [ucs] = encodeSms('开门', 1);
    expect(ucs?.dataCoding).toBe(DATA_CODING_UCS2);
    expect(ucs?.esmClass).toBe(0);
    expect(ucs?.shortMessage.toString('hex')).toBe('5f0095e8'); // U+5F00 U+95E8, big-endian
  });

  it('fits 70 UCS-2 / 160 GSM characters in one message, and splits 67 / 153 per part beyond', () => {
    expect(partCount('字'.repeat(70))).toBe(1);
    expect(partCount('字'.repeat(71))).toBe(2);
    expect(partCount('字'.repeat(134))).toBe(2);
    expect(partCount('字'.repeat(135))).toBe(3);
    expect(partCount('a'.repeat(160))).toBe(1);
    expect(partCount('a'.repeat(161))).toBe(2);
    expect(partCount('a'.repeat(306))).toBe(2);
    expect(partCount('a'.repeat(307))).toBe(3);
  });

  it('heads each part with the 8-bit-reference concatenation header and sets UDHI', () => {
    const text = `开门告警：${'史村镇东村三组'.repeat(12)}`;
    const parts = encodeSms(text, 0xa7);
    expect(parts).toHaveLength(2);
    parts.forEach((p, i) => {
      expect(p.esmClass & ESM_CLASS_UDHI).toBe(ESM_CLASS_UDHI);
      // UDHL 5, IEI 0x00, IEDL 3, reference, total, sequence (3GPP TS 23.040 §9.2.3.24.1)
      expect([...p.shortMessage.subarray(0, 6)]).toEqual([0x05, 0x00, 0x03, 0xa7, 2, i + 1]);
      expect(p.shortMessage.length).toBeLessThanOrEqual(140);
    });
    expect(reassemble(parts)).toBe(text);
  });

  it('never cuts a surrogate pair between two parts', () => {
    const text = `${'字'.repeat(66)}😀${'字'.repeat(10)}`;
    const parts = encodeSms(text, 1);
    expect(parts).toHaveLength(2);
    expect(reassemble(parts)).toBe(text);
    expect(decodeShortMessage(parts[0]!.shortMessage, 8, 0x40).text).toBe('字'.repeat(66));
  });
});

describe('delivery receipts (SMPP 3.4 Appendix B, §5.2.12, §5.2.28)', () => {
  it('knows a receipt by its esm_class message type', () => {
    expect(isDeliveryReceipt(0x04)).toBe(true);
    expect(isDeliveryReceipt(0x44)).toBe(true); // with UDHI
    expect(isDeliveryReceipt(0x00)).toBe(false); // mobile-originated
    expect(isDeliveryReceipt(0x08)).toBe(false); // SME delivery acknowledgement
  });

  it('reads id, stat and err from the text, the TLVs winning when present', () => {
    const text =
      'id:0123456789 sub:001 dlvrd:001 submit date:2412050803 done date:2412050803 stat:UNDELIV err:001 text:开门';
    expect(parseReceipt({ text })).toEqual({
      messageId: '0123456789',
      stat: 'UNDELIV',
      err: '001',
      outcome: 'failed',
    });
    expect(parseReceipt({ text, receiptedMessageId: 'abc', messageState: 2 })).toMatchObject({
      messageId: 'abc',
      stat: 'DELIVRD',
      outcome: 'delivered',
    });
    expect(parseReceipt({ text: 'id:7 stat:ENROUTE' })?.outcome).toBe('pending');
    expect(parseReceipt({ text: 'hello' })).toBeNull();
  });

  it('looks an id up in hex and decimal (SMSCs disagree between submit_sm_resp and the receipt)', () => {
    expect(messageIdForms('255')).toEqual(['255', 'ff', '597']);
    expect(messageIdForms('ff')).toEqual(['ff', '255']);
  });
});

describe('phone numbers', () => {
  it('reduces the ways a mainland mobile is written to one', () => {
    for (const raw of [
      '13800138000',
      '+86 138 0013 8000',
      '0086-138-0013-8000',
      '8613800138000',
      ' 138 0013 8000 ',
    ])
      expect(normalisePhone(raw)).toBe('13800138000');
    expect(normalisePhone('+44 20 7946 0958')).toBe('442079460958');
    expect(normalisePhone('call me')).toBe('');
  });

  it('addresses a mainland mobile nationally and others in E.164 (SMPP 3.4 §5.2.5/§5.2.6)', () => {
    expect(smppAddress('+86 138 0013 8000')).toEqual({ addr: '13800138000', ton: 0, npi: 1 });
    expect(smppAddress('+1 202 555 0123')).toEqual({ addr: '12025550123', ton: 1, npi: 1 });
  });
});

describe('reply codes', () => {
  it('gives each of a worker’s open alerts its own code, and the same code again for the same alert', () => {
    // A draw that always says 500 forces the collision path.
    const codes = new SmsReplyCodes(() => 500);
    const a = codes.allocate('w1', 'alert-a');
    const b = codes.allocate('w1', 'alert-b');
    expect(a).toBe('500');
    expect(b).not.toBe(a);
    expect(codes.allocate('w1', 'alert-a')).toBe(a);
    expect(codes.lookup('w1', b)).toBe('alert-b');
    // Another worker's codes are their own: the same number names nothing of w1's.
    expect(codes.allocate('w2', 'alert-a')).toBe('500');
    expect(codes.lookup('w2', b)).toBeUndefined();
  });

  it('frees an alert’s codes when it is resolved', () => {
    const codes = new SmsReplyCodes(() => 777);
    codes.allocate('w1', 'alert-a');
    codes.release('alert-a');
    expect(codes.lookup('w1', '777')).toBeUndefined();
    expect(codes.allocate('w1', 'alert-b')).toBe('777');
  });

  it('draws three-digit codes at random', () => {
    const codes = new SmsReplyCodes();
    const drawn = new Set<string>();
    for (let i = 0; i < 200; i++) drawn.add(codes.allocate('w1', `a${i}`));
    expect(drawn.size).toBe(200);
    for (const c of drawn) expect(c).toMatch(/^[1-9]\d{2}$/);
  });

  it('reads the code out of a reply', () => {
    expect(codeIn('417')).toBe('417');
    expect(codeIn(' 417 收到')).toBe('417');
    expect(codeIn('确认４１７')).toBe('417'); // full-width digits from a Chinese keyboard
    expect(codeIn('417 or 418')).toBeNull();
    expect(codeIn('ok')).toBeNull();
  });
});

describe('the alert SMS text', () => {
  const base = {
    locale: 'zh-CN' as const,
    tz: 'Asia/Shanghai',
    event: 'opened' as const,
    type: 'breach' as const,
    openedAt: Date.UTC(2026, 11, 5, 0, 3),
    address: '史村镇东村三组 1 号',
    gridPath: ['曲沃县', '史村镇', '东村'],
    replyCode: '417',
  };

  it('says type, place, local time and the reply code, Chinese first', () => {
    expect(smsText(base)).toBe(
      '【SealWatch 门磁监测】开门告警：史村镇东村三组 1 号，12-05 08:03。回复 417 确认。',
    );
    expect(smsText({ ...base, locale: 'en', event: 'escalated' })).toBe(
      '[SealWatch] [Escalated] Door opened: 史村镇东村三组 1 号, 12-05 08:03. Reply 417 to acknowledge.',
    );
    expect(smsTemplateVars(base)).toEqual({
      type: '开门告警',
      place: '史村镇东村三组 1 号',
      time: '12-05 08:03',
      code: '417',
    });
  });

  it('titles a gateway’s outage as the gateway, not as an area', () => {
    const gateway = {
      ...base,
      type: 'outage' as const,
      detail: { gatewayId: 'gw-east' },
      address: undefined,
    };
    expect(smsTemplateVars(gateway).type).not.toBe(smsTemplateVars({ ...gateway, detail: {} }).type);
    expect(smsTemplateVars(gateway).type).toBe('网关失联');
    expect(smsText(gateway)).toContain('网关失联');
  });

  it('adds the acknowledge link only while the whole text fits in MAX_PARTS parts', () => {
    const link = `https://seals.example.org/ack/${'x'.repeat(160)}`;
    const withLink = smsText({ ...base, ackUrl: link });
    expect(withLink.endsWith(link)).toBe(true);
    expect(partCount(withLink)).toBeLessThanOrEqual(MAX_PARTS);
    const tooLong = smsText({ ...base, ackUrl: `${link}${'y'.repeat(200)}` });
    expect(tooLong).toBe(smsText(base));
  });
});

describe('SMS_URL', () => {
  it('reads the SMPP form and hides its password', () => {
    const url = 'smpp://sealwatch:s3cr%40t@smsc.example:2775?source=106900001234&window=5';
    expect(parseSmsUrl(url)).toMatchObject({
      kind: 'smpp',
      host: 'smsc.example',
      port: 2775,
      systemId: 'sealwatch',
      password: 's3cr@t',
      sourceAddr: '106900001234',
      window: 5,
    });
    expect(redactSmsUrl(url)).toBe('smpp://sealwatch:***@smsc.example:2775?source=106900001234&window=5');
    expect(redactSmsUrl(url)).not.toContain('s3cr');
  });

  it('reads the cloud forms and names what is missing', () => {
    expect(
      parseSmsUrl(
        'tencent-sms://AKID:key@sms.tencentcloudapi.com?appId=1400006666&sign=腾讯云&template=1110',
      ),
    ).toMatchObject({ kind: 'tencent', appId: '1400006666', region: 'ap-guangzhou', templateId: '1110' });
    expect(() => parseSmsUrl('aliyun-sms://id:secret@dysmsapi.aliyuncs.com?sign=x')).toThrow(/template/);
    expect(() => parseSmsUrl('smpp://smsc.example:2775')).toThrow(/account/);
    expect(() => parseSmsUrl('http://x')).toThrow(/scheme/);
    expect(() => parseSmsUrl('aliyun-sms://id:s@h?sign=x&template=y&callback=short')).toThrow(/callback/);
    const withCallback =
      'aliyun-sms://id:s3cret@dysmsapi.aliyuncs.com?sign=x&template=y&callback=cb-0123456789abcdef';
    expect(parseSmsUrl(withCallback)).toMatchObject({ callbackToken: 'cb-0123456789abcdef' });
    expect(redactSmsUrl(withCallback)).not.toMatch(/s3cret|cb-0123456789abcdef/);
  });
});

describe('SMS_URL in the configuration', () => {
  it('a bad SMS_URL stops the start naming what is wrong, without echoing the secret', () => {
    let error: unknown;
    try {
      loadConfig({ SMS_URL: 'aliyun-sms://LTAIid:TopSecret99@dysmsapi.aliyuncs.com?sign=x' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/SMS_URL.*template/);
    expect(String((error as Error).message)).not.toContain('TopSecret99');
    expect(loadConfig({ SMS_URL: 'smpp://id:pw@smsc.example:2775' }).SMS_URL).toBe(
      'smpp://id:pw@smsc.example:2775',
    );
  });
});
