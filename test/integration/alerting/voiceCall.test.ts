/**
 * Issue 17.2 and 17.3 through the running service: VOICE_URL names an Aliyun VMS or Tencent Cloud
 * VMS account, and the channel plan says a critical alert nobody acknowledged by its step (here
 * +2s, set by CHANNEL_PLAN or a node's policy) is a voice call to the assignee. The endpoint is a TEST
 * DOUBLE (test/helpers/voiceCloudDouble.ts) that checks the signature with the vendors' documented
 * algorithms (Aliyun SingleCallByTts: help.aliyun.com/document_detail/393519.html; Tencent
 * SendTtsVoice: cloud.tencent.com/document/api/1128/51558).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { type RunningService, startService } from '../../helpers/service.ts';
import { startVoiceCloudDouble, type VoiceCloudDouble } from '../../helpers/voiceCloudDouble.ts';
import { armedHousehold, must, publishOpen } from './grid.ts';

const KEYS = { id: 'LTAI5tVoiceKeyId', secret: 'VoiceSecretOfTheDouble0123456789' };
const CALLBACK = 'voice-Token-0123456789abcdef';
const PLAN_2S = JSON.stringify({
  critical: [
    { after: '0s', channels: ['webhook'] },
    { after: '2s', channels: ['voice'], ifUnacknowledged: true },
  ],
});

async function provision(svc: RunningService): Promise<void> {
  await must(
    svc,
    'POST',
    '/api/grid',
    { id: 'dongcun', name: '东村', parentId: null, level: 'village' },
    201,
  );
  await must(svc, 'POST', '/api/grid', { id: 'xicun', name: '西村', parentId: null, level: 'village' }, 201);
  for (const [id, gridId, phone] of [
    ['w-wang', 'dongcun', '+86 138 0013 8000'],
    ['w-zhao', 'xicun', '139 0013 9000'],
  ] as const)
    await must(svc, 'POST', '/api/workers', { id, name: id, gridId, role: 'worker', phone }, 201);
}

async function alertOf(svc: RunningService, sensorId: string): Promise<Record<string, unknown> | undefined> {
  const list = (await svc.api('GET', '/api/alerts')).body as Array<{ id: string; sensorId?: string }>;
  const a = list.find((x) => x.sensorId === sensorId);
  return a ? ((await svc.api('GET', `/api/alerts/${a.id}`)).body as Record<string, unknown>) : undefined;
}
const voiceRows = (detail: Record<string, unknown> | undefined) =>
  ((detail?.deliveries ?? []) as Array<Record<string, unknown>>).filter((d) => d.channel === 'voice');

describe.each([
  {
    vendor: 'aliyun' as const,
    url: (port: number) =>
      `aliyun-voice://${KEYS.id}:${KEYS.secret}@127.0.0.1:${port}?template=TTS_2640001&calledShowNumber=057112345678&callback=${CALLBACK}&tls=false`,
    phone: '13800138000',
    vars: (v: unknown) => v as Record<string, string>,
    // VoiceReport, HTTP batch push (help.aliyun.com/zh/vms/voicereport-6): one array for both.
    notAnswered: (callId: string) => [
      {
        call_id: callId,
        status_code: '200005',
        status_msg: '用户未接听',
        b_start_time: '',
        duration: '0',
        dtmf: '',
        out_id: 'x',
      },
    ],
    pressed: (callId: string, keys: string) => [
      {
        call_id: callId,
        status_code: '200000',
        status_msg: '执行完成',
        b_start_time: '2026-12-05 03:02:10',
        duration: '12',
        dtmf: keys,
        out_id: 'x',
      },
    ],
    ok: { code: 0, msg: '接收成功' },
  },
  {
    vendor: 'tencent' as const,
    url: (port: number) =>
      `tencent-voice://${KEYS.id}:${KEYS.secret}@127.0.0.1:${port}?appId=1400006666&template=4356&playTimes=3&callback=${CALLBACK}&tls=false`,
    phone: '+8613800138000',
    // Status and key press callbacks (cloud.tencent.com/document/api/1128/37725, /37726).
    notAnswered: (callId: string) => ({
      voiceprompt_callback: {
        result: '1',
        accept_time: '0',
        call_from: '',
        callid: callId,
        end_calltime: '1764900130',
        fee: '0',
        mobile: '13800138000',
        nationcode: '86',
        start_calltime: '1764900100',
      },
    }),
    pressed: (callId: string, keys: string) => ({
      voicekey_callback: {
        call_from: '',
        callid: callId,
        keypress: keys,
        mobile: '13800138000',
        nationcode: '86',
      },
    }),
    ok: { result: 0, errmsg: 'OK' },
    vars: (v: unknown) => {
      const [type, place, time] = v as string[];
      return { type, place, time } as Record<string, string>;
    },
  },
])(
  'voice call through $vendor (against a test double)',
  ({ vendor, url, phone, vars, notAnswered, pressed, ok }) => {
    let cloud: VoiceCloudDouble;
    let svc: Awaited<ReturnType<typeof startService>>;

    beforeAll(async () => {
      cloud = await startVoiceCloudDouble(KEYS);
      svc = await startService({
        env: {
          VOICE_URL: url(cloud.port),
          CHANNEL_PLAN: PLAN_2S,
          LOCALE: 'zh-CN',
          TZ_LOCAL: 'Asia/Shanghai',
        },
      });
      await provision(svc);
    });
    afterAll(async () => {
      await svc?.cleanup();
      await cloud?.close();
    });

    it('an unacknowledged critical breach places one signed call at its step, with the alert’s facts', async () => {
      const s = await armedHousehold(svc, 'dongcun', '1');
      const openedAt = Date.now();
      await publishOpen(svc, s, 1);
      // Planned at the opening: visible on the alert as a pending voice delivery due at +2s.
      await eventually(async () => voiceRows(await alertOf(svc, s.sensorId)).length === 1, 5_000);
      const pending = voiceRows(await alertOf(svc, s.sensorId))[0];
      expect(pending).toMatchObject({ status: 'pending', recipientId: 'w-wang' });
      expect(cloud.calls).toEqual([]);
      await eventually(() => cloud.calls.length === 1, 8_000, `${vendor} call`);
      const [call] = cloud.calls;
      expect(cloud.refused).toEqual([]);
      expect(call!.at - openedAt).toBeGreaterThanOrEqual(1_900);
      expect(call).toMatchObject({ vendor, phone, ref: pending!.id });
      expect(call!.templateId).toBe(vendor === 'aliyun' ? 'TTS_2640001' : '4356');
      expect(call!.shown).toBe(vendor === 'aliyun' ? '057112345678' : '1400006666');
      expect(call!.playTimes).toBe(vendor === 'aliyun' ? '2' : '3');
      const v = vars(call!.vars);
      expect(v.type).toBe('开门告警');
      expect(v.place).toBe('史村镇东村三组 1 号');
      expect(v.time).toMatch(/^\d\d-\d\d \d\d:\d\d$/);
      // The call's result on the alert: delivered, and the vendor's call id in its history.
      await eventually(
        async () => voiceRows(await alertOf(svc, s.sensorId))[0]?.status === 'delivered',
        5_000,
      );
      const detail = await alertOf(svc, s.sensorId);
      const notified = (
        (detail?.history ?? []) as Array<{ kind: string; detail: Record<string, unknown> }>
      ).find((h) => h.kind === 'notified' && h.detail.channel === 'voice');
      expect(String(notified?.detail.call)).toContain(call!.callId);
      const metrics = (await svc.api('GET', '/metrics')).body as string;
      expect(metricValue(metrics, 'sealwatch_voice_calls_total', { vendor, result: 'placed' })).toBe(1);
    });

    it('an alert acknowledged before the step places no call; its voice delivery shows as skipped', async () => {
      const s = await armedHousehold(svc, 'dongcun', '2');
      await publishOpen(svc, s, 1);
      let id = '';
      await eventually(async () => {
        id = String((await alertOf(svc, s.sensorId))?.id ?? '');
        return id !== '';
      }, 5_000);
      await must(svc, 'POST', `/api/alerts/${id}/ack`, {}, 200);
      await eventually(async () => voiceRows(await alertOf(svc, s.sensorId))[0]?.status === 'skipped', 8_000);
      expect(cloud.calls).toHaveLength(1);
    });

    it('a restart between the alert and its step still calls, exactly once', async () => {
      const s = await armedHousehold(svc, 'dongcun', '3');
      await publishOpen(svc, s, 1);
      await eventually(async () => voiceRows(await alertOf(svc, s.sensorId)).length === 1, 5_000);
      expect(cloud.calls).toHaveLength(1);
      const restartedAt = Date.now();
      await svc.restart();
      await eventually(() => cloud.calls.length === 2, 15_000, 'call after the restart');
      expect(cloud.calls[1]!.at).toBeGreaterThan(restartedAt);
      await new Promise((r) => setTimeout(r, 2_500));
      expect(cloud.calls).toHaveLength(2);
      expect(voiceRows(await alertOf(svc, s.sensorId))[0]?.status).toBe('delivered');
    });

    it('a node’s policy overrides the plan: xicun calls nobody; a bad plan is refused with a clear error', async () => {
      const bad = await svc.api('PUT', '/api/grid/xicun/policy', {
        channelPlan: { critical: [{ after: '2s', channels: ['pager'] }] },
      });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('a channel is one of webhook, sms, email, voice');
      await must(
        svc,
        'PUT',
        '/api/grid/xicun/policy',
        { channelPlan: { critical: [{ after: '0s', channels: ['webhook'] }] } },
        200,
      );
      const s = await armedHousehold(svc, 'xicun', '4');
      await publishOpen(svc, s, 1);
      await eventually(async () => (await alertOf(svc, s.sensorId)) !== undefined, 5_000);
      await new Promise((r) => setTimeout(r, 2_500));
      expect(voiceRows(await alertOf(svc, s.sensorId))).toEqual([]);
      expect(cloud.calls).toHaveLength(2);
    });

    it('the vendor’s call report lands on the delivery; a press of 1 acknowledges as the called worker', async () => {
      const push = (body: unknown, token = CALLBACK) =>
        svc.api('POST', `/api/voice/${vendor}?token=${token}`, body, null);
      const [first, second] = cloud.calls;
      expect((await push(notAnswered(first!.callId), 'wrong-token-0123456789')).status).toBe(401);
      expect(await push(notAnswered(first!.callId))).toMatchObject({ status: 200, body: ok });
      expect(voiceRows(await alertOf(svc, 'seal-1'))[0]?.receipt).toMatchObject({
        status: 'failed',
        detail: expect.stringContaining('not answered'),
      });
      expect((await alertOf(svc, 'seal-1'))?.status).toBe('open');
      // A key other than 1 changes nothing; 1 acknowledges as the worker the call went to.
      expect((await push(pressed(second!.callId, '2'))).status).toBe(200);
      expect((await alertOf(svc, 'seal-3'))?.status).toBe('open');
      expect((await push(pressed(second!.callId, '1'))).status).toBe(200);
      const acked = await alertOf(svc, 'seal-3');
      expect(acked).toMatchObject({ status: 'acknowledged', ackedBy: 'w-wang' });
      expect(voiceRows(acked)[0]?.receipt).toMatchObject({ status: 'delivered' });
      const metrics = (await svc.api('GET', '/metrics')).body as string;
      expect(metricValue(metrics, 'sealwatch_voice_reports_total', { result: 'acknowledged' })).toBe(1);
      expect(metricValue(metrics, 'sealwatch_voice_reports_total', { result: 'not_answered' })).toBe(1);
      const logs = svc.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
      expect(logs).not.toContain(KEYS.secret);
      expect(logs).not.toContain(CALLBACK);
    });
  },
);
