/**
 * Issue 17.1, the clouds: the running service with SMS_URL naming an Aliyun or Tencent Cloud SMS
 * account sends a breach as the approved template with the alert's facts as variables, signed as the
 * vendor documents it. The endpoint is a TEST DOUBLE (test/helpers/smsCloudDouble.ts) that checks the
 * signature with the vendors' documented algorithm (its verifier is proven on the vendors' published
 * examples in test/unit/alerting/smsCloud.test.ts); a wrong secret is refused there and the SMS waits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { type RunningService, startService } from '../../helpers/service.ts';
import { type SmsCloudDouble, startSmsCloudDouble } from '../../helpers/smsCloudDouble.ts';
import { armedHousehold, must, publishOpen } from './grid.ts';

const KEYS = { id: 'LTAI5tTestKeyId', secret: 'TestSecretOfTheDouble0123456789' };
const CALLBACK = 'cb-Token-0123456789abcdef';

async function provision(svc: RunningService): Promise<void> {
  await must(
    svc,
    'POST',
    '/api/grid',
    { id: 'dongcun', name: '东村', parentId: null, level: 'village' },
    201,
  );
  await must(
    svc,
    'POST',
    '/api/workers',
    { id: 'w-wang', name: '王网格员', gridId: 'dongcun', role: 'worker', phone: '+86 138 0013 8000' },
    201,
  );
}

const smsDelivery = async (svc: RunningService, sensorId: string) => {
  const list = (await svc.api('GET', '/api/alerts?status=open')).body as Array<{
    id: string;
    sensorId?: string;
  }>;
  const alert = list.find((a) => a.sensorId === sensorId);
  if (!alert) return undefined;
  const detail = (await svc.api('GET', `/api/alerts/${alert.id}`)).body;
  return (detail.deliveries as Array<Record<string, unknown>>).find((d) => d.channel === 'sms');
};

describe.each([
  {
    vendor: 'aliyun' as const,
    url: (port: number, secret: string) =>
      `aliyun-sms://${KEYS.id}:${secret}@127.0.0.1:${port}?sign=${encodeURIComponent('门磁监测')}&template=SMS_465100001&callback=${CALLBACK}&tls=false`,
    phone: '13800138000',
    vars: (v: unknown) => v as Record<string, string>,
    // Aliyun's HTTP batch push: SmsReport and SmsUp, arrays.
    report: (messageId: string) => [
      {
        phone_number: '13800138000',
        send_time: '2026-12-05 08:03:10',
        report_time: '2026-12-05 08:03:16',
        success: true,
        err_code: 'DELIVERED',
        err_msg: '用户接收成功',
        sms_size: '1',
        biz_id: messageId,
        out_id: 'x',
      },
    ],
    reply: (text: string) => [
      {
        phone_number: '13800138000',
        send_time: '2026-12-05 08:05:00',
        content: text,
        sign_name: '门磁监测',
        dest_code: '1234',
        sequence_id: 1,
      },
    ],
    ok: { code: 0, msg: '成功' },
  },
  {
    vendor: 'tencent' as const,
    url: (port: number, secret: string) =>
      `tencent-sms://${KEYS.id}:${secret}@127.0.0.1:${port}?appId=1400006666&sign=${encodeURIComponent('门磁监测')}&template=2064001&callback=${CALLBACK}&tls=false`,
    phone: '+8613800138000',
    // Tencent's status callback (an array) and reply callback (one object).
    report: (messageId: string) => [
      {
        user_receive_time: '2026-12-05 08:03:16',
        nationcode: '86',
        mobile: '13800138000',
        report_status: 'SUCCESS',
        errmsg: 'DELIVRD',
        description: '用户短信送达成功',
        sid: messageId,
      },
    ],
    reply: (text: string) => ({
      extend: '',
      mobile: '13800138000',
      nationcode: '86',
      sign: '门磁监测',
      text,
      time: 1764921900,
    }),
    ok: { result: 0, errmsg: 'OK' },
    vars: (v: unknown) => {
      const [type, place, time, code] = v as string[];
      return { type, place, time, code } as Record<string, string>;
    },
  },
])(
  'SMS through $vendor (signed HTTP API, against a test double)',
  ({ vendor, url, phone, vars, report, reply, ok }) => {
    let cloud: SmsCloudDouble;
    let svc: Awaited<ReturnType<typeof startService>>;

    beforeAll(async () => {
      cloud = await startSmsCloudDouble(KEYS);
      svc = await startService({
        env: { SMS_URL: url(cloud.port, KEYS.secret), LOCALE: 'zh-CN', TZ_LOCAL: 'Asia/Shanghai' },
      });
      await provision(svc);
    });
    afterAll(async () => {
      await svc?.cleanup();
      await cloud?.close();
    });

    it('a breach → one signed SendSms with the template, sign name and the alert’s facts as variables', async () => {
      const s = await armedHousehold(svc, 'dongcun', '5');
      await publishOpen(svc, s, 1);
      await eventually(() => cloud.accepted.length === 1, 5_000, `${vendor} SendSms`);
      const [sms] = cloud.accepted;
      expect(cloud.refused).toEqual([]);
      expect(sms).toMatchObject({ vendor, phone, signName: '门磁监测' });
      expect(sms?.templateId).toBe(vendor === 'aliyun' ? 'SMS_465100001' : '2064001');
      const v = vars(sms?.vars);
      expect(v.type).toBe('开门告警');
      expect(v.place).toBe('史村镇东村三组 5 号');
      expect(v.time).toMatch(/^\d\d-\d\d \d\d:\d\d$/);
      expect(v.code).toMatch(/^\d{3}$/);
      await eventually(async () => (await smsDelivery(svc, s.sensorId))?.status === 'delivered', 5_000);
      const metrics = (await svc.api('GET', '/metrics')).body as string;
      expect(metricValue(metrics, 'sealwatch_sms_sent_total')).toBe(1);
      expect(metricValue(metrics, 'sealwatch_sms_up', { gateway: vendor })).toBe(1);
      const logs = svc.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
      expect(logs).not.toContain(KEYS.secret);
      expect(logs).not.toContain(CALLBACK);
    });

    it('the cloud’s receipt push sets the delivery’s receipt; its reply push with the code acknowledges as the worker', async () => {
      const [sms] = cloud.accepted;
      const push = (kind: string, body: unknown, token = CALLBACK) =>
        svc.api('POST', `/api/sms/${vendor}/${kind}?token=${token}`, body, null);
      expect((await push('report', report(sms!.messageId), 'wrong-token-0123456789')).status).toBe(401);
      const r = await push('report', report(sms!.messageId));
      expect(r).toMatchObject({ status: 200, body: ok });
      const d = await smsDelivery(svc, 'seal-5');
      expect(d?.receipt).toMatchObject({ status: 'delivered' });
      // A reply from the worker's phone with a wrong code, then with the right one.
      const code = vars(sms?.vars).code as string;
      expect((await push('reply', reply(code === '999' ? '998' : String(Number(code) + 1)))).status).toBe(
        200,
      );
      expect(
        (await svc.api('GET', '/api/alerts?status=open')).body.some(
          (a: { sensorId?: string }) => a.sensorId === 'seal-5',
        ),
      ).toBe(true);
      expect((await push('reply', reply(`${code} 收到`))).status).toBe(200);
      const acked = (
        (await svc.api('GET', '/api/alerts?status=acknowledged')).body as Array<Record<string, unknown>>
      ).find((a) => a.sensorId === 'seal-5');
      expect(acked).toMatchObject({ ackedBy: 'w-wang' });
      const metrics = (await svc.api('GET', '/metrics')).body as string;
      expect(metricValue(metrics, 'sealwatch_sms_receipts_total', { result: 'delivered' })).toBe(1);
      expect(metricValue(metrics, 'sealwatch_sms_replies_total', { result: 'unknown_code' })).toBe(1);
      expect(metricValue(metrics, 'sealwatch_sms_replies_total', { result: 'acknowledged' })).toBe(1);
    });
  },
);

describe('SMS through a cloud with a wrong secret', () => {
  it('is refused by the signature check; the SMS waits in the outbox, retried', async () => {
    const cloud = await startSmsCloudDouble(KEYS);
    const svc = await startService({
      env: {
        SMS_URL: `tencent-sms://${KEYS.id}:WrongSecret42@127.0.0.1:${cloud.port}?appId=1400006666&sign=x&template=1&tls=false`,
      },
    });
    try {
      await provision(svc);
      const s = await armedHousehold(svc, 'dongcun', '6');
      await publishOpen(svc, s, 1);
      await eventually(async () => {
        const d = await smsDelivery(svc, s.sensorId);
        return d?.status === 'pending' && String(d.lastError).includes('AuthFailure.SignatureFailure');
      }, 10_000);
      expect(cloud.accepted).toEqual([]);
      expect(cloud.refused.length).toBeGreaterThan(0);
      const logs = svc.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
      expect(logs).not.toContain('WrongSecret42');
    } finally {
      await svc.cleanup();
      await cloud.close();
    }
  });
});
