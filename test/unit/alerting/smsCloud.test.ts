/**
 * The cloud SMS signatures against the vendors' own published examples, both the product's signer
 * (alerting/notifiers/sms/cloudSigning.ts) and the test double's independent verifier
 * (test/helpers/smsCloudDouble.ts), so the integration tests' double is known to check what the
 * vendors check. And the vendors' answers classified.
 */
import { describe, expect, it } from 'vitest';
import { aliyunAnswer } from '../../../alerting/notifiers/sms/aliyunSms.ts';
import {
  aliyunSignature,
  aliyunStringToSign,
  percentEncode,
  tc3Authorization,
  tc3StringToSign,
} from '../../../alerting/notifiers/sms/cloudSigning.ts';
import { tencentAnswer } from '../../../alerting/notifiers/sms/tencentSms.ts';
import { aliyunDocSignature, tencentDocSignature } from '../../helpers/smsCloudDouble.ts';

/**
 * Aliyun's SMS signature example (help.aliyun.com/document_detail/56189.html, "签名机制"): these
 * parameters, AccessKeySecret testSecret, GET → zJDF+Lrzhj/ThnlvIToysFRq6t4=.
 */
const ALIYUN_SMS_EXAMPLE = {
  AccessKeyId: 'testId',
  Action: 'SendSms',
  Format: 'XML',
  OutId: '123',
  PhoneNumbers: '15300000001',
  RegionId: 'cn-hangzhou',
  SignName: '阿里云短信测试专用',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
  SignatureVersion: '1.0',
  TemplateCode: 'SMS_71390007',
  TemplateParam: '{"customer":"test"}',
  Timestamp: '2017-07-12T02:42:19Z',
  Version: '2017-05-25',
};

/** The general RPC signature page's example (DescribeRegions, AccessKeySecret testsecret). */
const ALIYUN_RPC_EXAMPLE = {
  AccessKeyId: 'testid',
  Action: 'DescribeRegions',
  Format: 'XML',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  SignatureVersion: '1.0',
  Timestamp: '2016-02-23T12:46:24Z',
  Version: '2014-05-26',
};

/**
 * Tencent Cloud's "Signature v3" example: DescribeInstances on cvm.tencentcloudapi.com, timestamp
 * 1551113065, SecretKey Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, this payload; the page gives the payload
 * hash 35e9c5b0…, the canonical request hash 5ffe6a04… and the signature 72e494ea….
 */
const TC3_EXAMPLE = {
  secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
  secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
  service: 'cvm',
  host: 'cvm.tencentcloudapi.com',
  contentType: 'application/json; charset=utf-8',
  timestamp: 1551113065,
  payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
};

describe('Aliyun RPC (POP) signature, the documentation’s examples', () => {
  it('encodes as POP asks: %20 for space, * as %2A, ~ kept, UTF-8 bytes', () => {
    expect(percentEncode('a b*~')).toBe('a%20b%2A~');
    expect(percentEncode('阿')).toBe('%E9%98%BF');
  });

  it('gives the SMS example’s string to sign and signature', () => {
    expect(aliyunStringToSign('GET', ALIYUN_SMS_EXAMPLE)).toBe(
      'GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25',
    );
    expect(aliyunSignature('GET', ALIYUN_SMS_EXAMPLE, 'testSecret')).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
    expect(aliyunDocSignature('GET', ALIYUN_SMS_EXAMPLE, 'testSecret')).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
  });

  it('gives the RPC page’s example signature', () => {
    expect(aliyunSignature('GET', ALIYUN_RPC_EXAMPLE, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
    expect(aliyunDocSignature('GET', ALIYUN_RPC_EXAMPLE, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });
});

describe('Tencent Cloud TC3-HMAC-SHA256, the documentation’s example', () => {
  it('gives the example’s string to sign, signature and Authorization', () => {
    expect(tc3StringToSign(TC3_EXAMPLE)).toBe(
      'TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031',
    );
    const { signature, authorization } = tc3Authorization(TC3_EXAMPLE);
    expect(signature).toBe('72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
    expect(authorization).toBe(
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
    );
    expect(
      tencentDocSignature({
        secretKey: TC3_EXAMPLE.secretKey,
        service: 'cvm',
        timestamp: '1551113065',
        headers: { 'content-type': TC3_EXAMPLE.contentType, host: TC3_EXAMPLE.host },
        signedHeaders: ['content-type', 'host'],
        payload: TC3_EXAMPLE.payload,
      }),
    ).toBe('72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
  });
});

describe('the clouds’ answers', () => {
  it('Aliyun: OK with BizId is sent; a bad number is permanent; flow control waits; the rest retries', () => {
    expect(aliyunAnswer(200, { Code: 'OK', Message: 'OK', BizId: '9006^0' })).toEqual({
      ok: true,
      messageId: '9006^0',
    });
    expect(aliyunAnswer(200, { Code: 'isv.MOBILE_NUMBER_ILLEGAL' })).toMatchObject({
      result: { status: 'permanent' },
    });
    expect(aliyunAnswer(200, { Code: 'isv.BUSINESS_LIMIT_CONTROL' })).toMatchObject({
      result: { status: 'retryable', retryAfterMs: 60_000 },
    });
    expect(aliyunAnswer(400, { Code: 'SignatureDoesNotMatch' })).toMatchObject({
      result: { status: 'retryable' },
    });
    expect(aliyunAnswer(502, null)).toMatchObject({
      result: { status: 'retryable', error: 'aliyun SendSms: HTTP 502' },
    });
  });

  it('Tencent: Ok with SerialNo is sent; a bad number is permanent; limits wait; auth failures retry', () => {
    expect(tencentAnswer(200, { Response: { SendStatusSet: [{ Code: 'Ok', SerialNo: '2640:1' }] } })).toEqual(
      {
        ok: true,
        messageId: '2640:1',
      },
    );
    expect(
      tencentAnswer(200, {
        Response: { SendStatusSet: [{ Code: 'InvalidParameterValue.IncorrectPhoneNumber' }] },
      }),
    ).toMatchObject({ result: { status: 'permanent' } });
    expect(
      tencentAnswer(200, { Response: { Error: { Code: 'LimitExceeded.PhoneNumberThirtySecondLimit' } } }),
    ).toMatchObject({ result: { status: 'retryable', retryAfterMs: 60_000 } });
    expect(
      tencentAnswer(200, { Response: { Error: { Code: 'AuthFailure.SignatureFailure' } } }),
    ).toMatchObject({
      result: { status: 'retryable' },
    });
  });
});
