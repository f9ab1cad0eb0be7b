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
      `aliyun-sms://${KEYS.id}:${secret}@127.0.0.1:${port}?sign=${encodeURIComponent('门磁监测')}&template=SMS_465100001&tls=false`,
    phone: '13800138000',
    vars: (v: unknown) => v as Record<string, string>,
  },
  {
    vendor: 'tencent' as const,
    url: (port: number, secret: string) =>
      `tencent-sms://${KEYS.id}:${secret}@127.0.0.1:${port}?appId=1400006666&sign=${encodeURIComponent('门磁监测')}&template=2064001&tls=false`,
    phone: '+8613800138000',
    vars: (v: unknown) => {
      const [type, place, time, code] = v as string[];
      return { type, place, time, code } as Record<string, string>;
    },
  },
])('SMS through $vendor (signed HTTP API, against a test double)', ({ vendor, url, phone, vars }) => {
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
  });
});

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
