/**
 * Issue 17.1 and 17.5 (SMS side) end to end: the running service with SMS_URL pointing at a real SMPP
 * 3.4 SMSC on loopback (test/helpers/smppServer.ts, the npm `smpp` package's server).
 * - a breach reaches the worker's phone as submit_sm (§4.4.1) in UCS-2 (data_coding 0x08, §5.2.19),
 *   concatenated with UDHI (esm_class 0x40, §5.2.12), registered_delivery 1 (§5.2.17), within 5 s;
 * - delivery receipts (deliver_sm §4.6.1, esm_class 0x04, Appendix B text) set the delivery's receipt
 *   in GET /api/alerts/:id;
 * - a mobile-originated deliver_sm with the code from the worker's phone acknowledges as that worker;
 *   unknown numbers and wrong codes change nothing and are counted in /metrics;
 * - an SMSC that is down at start: the SMS waits in the outbox and goes once it is up;
 * - a refused bind (wrong password) is logged with the system_id, never the password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { freePort } from '../../helpers/serverProcess.ts';
import { type RunningService, startService } from '../../helpers/service.ts';
import { type Smsc, startSmsc } from '../../helpers/smppServer.ts';
import { armedHousehold, must, publishOpen } from './grid.ts';

const PUBLIC_URL = 'http://sealwatch.test:8080';
const WANG_PHONE = '+86 138 0013 8000';
const WANG_MSISDN = '13800138000';
// SMPP 3.4 §4.1.5: a password is a C-Octet String of at most 9 octets (ASCII).
const PASSWORD = 'Pw42secr';

async function provision(svc: RunningService): Promise<void> {
  await must(
    svc,
    'POST',
    '/api/grid',
    { id: 'shicun', name: '史村镇', parentId: null, level: 'township' },
    201,
  );
  await must(
    svc,
    'POST',
    '/api/grid',
    { id: 'dongcun', name: '东村', parentId: 'shicun', level: 'village' },
    201,
  );
  await must(
    svc,
    'POST',
    '/api/grid',
    { id: 'licun', name: '里村', parentId: 'shicun', level: 'village' },
    201,
  );
  await must(
    svc,
    'POST',
    '/api/workers',
    { id: 'w-wang', name: '王网格员', gridId: 'dongcun', role: 'worker', phone: WANG_PHONE },
    201,
  );
  await must(
    svc,
    'POST',
    '/api/workers',
    { id: 'w-li', name: '李网格员', gridId: 'licun', role: 'worker', phone: '13900139000' },
    201,
  );
}

const openAlertOf = async (svc: RunningService, sensorId: string) =>
  ((await svc.api('GET', '/api/alerts?status=open')).body as Array<{ id: string; sensorId?: string }>).find(
    (a) => a.sensorId === sensorId,
  );

const smsDeliveries = async (svc: RunningService, alertId: string) =>
  ((await svc.api('GET', `/api/alerts/${alertId}`)).body.deliveries as Array<Record<string, unknown>>).filter(
    (d) => d.channel === 'sms',
  );

describe('SMS over SMPP: a breach to the worker’s phone, receipts, acknowledge by reply', () => {
  let smsc: Smsc;
  let svc: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    smsc = await startSmsc({ systemId: 'sealwatch', password: PASSWORD });
    svc = await startService({
      env: {
        SMS_URL: `${smsc.url()}?source=106900001234`,
        PUBLIC_URL,
        LOCALE: 'zh-CN',
        TZ_LOCAL: 'Asia/Shanghai',
        ESCALATE_AFTER: '10m',
      },
    });
    await svc.waitForLog((l) => l.msg === 'SMPP session bound (transceiver)');
    await provision(svc);
  });
  afterAll(async () => {
    await svc?.cleanup();
    await smsc?.stop();
  });

  let alertId: string;
  let code: string;

  it('a breach → within 5 s an SMS to the worker’s phone: UCS-2, concatenated, with address, time, code and link', async () => {
    const s = await armedHousehold(svc, 'dongcun', '7');
    const before = smsc.submits.length;
    const publishedAt = Date.now();
    await publishOpen(svc, s, 1);
    let text = '';
    await eventually(
      () => {
        text = smsc.messagesTo(WANG_MSISDN).find((t) => t.includes('7 号')) ?? '';
        return text !== '';
      },
      5_000,
      'the alert SMS',
    );
    expect(Date.now() - publishedAt).toBeLessThan(5_000);
    const parts = smsc.submits.slice(before).filter((p) => p.destination === WANG_MSISDN);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.dataCoding).toBe(0x08);
      expect(p.esmClass & 0x40).toBe(0x40);
      expect(p.registeredDelivery).toBe(1);
      expect(p.destTon).toBe(0);
      expect(p.concat?.total).toBe(parts.length);
    }
    expect(text).toMatch(
      /^【SealWatch 门磁监测】开门告警：史村镇东村三组 7 号，\d\d-\d\d \d\d:\d\d。回复 \d{3} 确认。 http:\/\/sealwatch\.test:8080\/ack\//,
    );
    const local = new Date(publishedAt + 8 * 3_600_000).toISOString();
    expect(text).toContain(`${local.slice(5, 10)} ${local.slice(11, 13)}:`);
    code = /回复 (\d{3}) 确认/.exec(text)?.[1] ?? '';
    const alert = await openAlertOf(svc, s.sensorId);
    alertId = alert?.id ?? '';
    expect(alertId).not.toBe('');
    // The SMSC answered; the outcome is written just after.
    await eventually(async () => (await smsDeliveries(svc, alertId))[0]?.status === 'delivered', 5_000);
    const [delivery] = await smsDeliveries(svc, alertId);
    expect(delivery).toMatchObject({ recipientId: 'w-wang', status: 'delivered' });
    expect(delivery?.receipt).toBeUndefined();
  });

  it('delivery receipts → the delivery’s receipt in GET /api/alerts/:id (pending until every part is in)', async () => {
    const parts = smsc.submits.filter((p) => p.destination === WANG_MSISDN);
    const [first, ...rest] = parts;
    expect(await smsc.receipt(first!.messageId, 'DELIVRD')).toBe(0);
    await eventually(async () => (await smsDeliveries(svc, alertId))[0]?.receipt !== undefined, 5_000);
    expect((await smsDeliveries(svc, alertId))[0]?.receipt).toMatchObject({ status: 'pending' });
    for (const p of rest) expect(await smsc.receipt(p.messageId, 'DELIVRD')).toBe(0);
    await eventually(
      async () =>
        ((await smsDeliveries(svc, alertId))[0]?.receipt as { status?: string })?.status === 'delivered',
      5_000,
      'receipt delivered',
    );
    const metrics = (await svc.api('GET', '/metrics')).body as string;
    expect(metricValue(metrics, 'sealwatch_sms_receipts_total', { result: 'delivered' })).toBe(parts.length);
    expect(metricValue(metrics, 'sealwatch_sms_up', { gateway: 'smpp' })).toBe(1);
    expect(metricValue(metrics, 'sealwatch_sms_sent_total')).toBe(1);
  });

  it('replies from an unknown number, without a code or with a wrong code change nothing, and are counted', async () => {
    const wrong = code === '999' ? '998' : String(Number(code) + 1);
    expect(await smsc.mobileOriginated('8613700137000', code)).toBe(0);
    expect(await smsc.mobileOriginated('8613800138000', wrong)).toBe(0);
    expect(await smsc.mobileOriginated('8613800138000', '收到')).toBe(0);
    // Li's phone with Wang's code: the code is Wang's, not Li's.
    expect(await smsc.mobileOriginated('13900139000', code)).toBe(0);
    const alert = (await svc.api('GET', `/api/alerts/${alertId}`)).body;
    expect(alert.status).toBe('open');
    const metrics = (await svc.api('GET', '/metrics')).body as string;
    expect(metricValue(metrics, 'sealwatch_sms_replies_total', { result: 'unknown_number' })).toBe(1);
    expect(metricValue(metrics, 'sealwatch_sms_replies_total', { result: 'unknown_code' })).toBe(2);
    expect(metricValue(metrics, 'sealwatch_sms_replies_total', { result: 'no_code' })).toBe(1);
  });

  it('a reply with the code from the worker’s phone (+86, as the SMSC writes it) acknowledges as that worker', async () => {
    expect(await smsc.mobileOriginated('+8613800138000', ` ${code} 收到`)).toBe(0);
    const alert = (await svc.api('GET', `/api/alerts/${alertId}`)).body;
    expect(alert).toMatchObject({ status: 'acknowledged', ackedBy: 'w-wang' });
    expect(alert.history.find((h: { kind: string }) => h.kind === 'acknowledged')).toMatchObject({
      actor: 'w-wang',
    });
    // The same reply again: nothing more to do.
    expect(await smsc.mobileOriginated('13800138000', code)).toBe(0);
    const metrics = (await svc.api('GET', '/metrics')).body as string;
    expect(metricValue(metrics, 'sealwatch_sms_replies_total', { result: 'acknowledged' })).toBe(1);
    expect(metricValue(metrics, 'sealwatch_sms_replies_total', { result: 'already_acknowledged' })).toBe(1);
  });

  it('after a restart (the session unbound and bound again) a code given before still acknowledges', async () => {
    const s = await armedHousehold(svc, 'dongcun', '9');
    await publishOpen(svc, s, 1);
    let text = '';
    await eventually(() => {
      text = smsc.messagesTo(WANG_MSISDN).find((t) => t.includes('9 号')) ?? '';
      return text !== '';
    }, 5_000);
    const code9 = /回复 (\d{3}) 确认/.exec(text)?.[1] ?? '';
    expect(code9).not.toBe(code); // Wang's first alert still holds its code (acknowledged, not resolved)
    const alert = await openAlertOf(svc, s.sensorId);
    await eventually(async () => (await smsDeliveries(svc, alert!.id))[0]?.status === 'delivered', 5_000);
    const bindsBefore = smsc.binds.length;
    await svc.restart();
    await eventually(() => smsc.binds.length > bindsBefore, 10_000, 'bound again after the restart');
    expect(await smsc.mobileOriginated('13800138000', code9)).toBe(0);
    expect((await svc.api('GET', `/api/alerts/${alert!.id}`)).body).toMatchObject({
      status: 'acknowledged',
      ackedBy: 'w-wang',
    });
  });

  it('never logs the SMPP password', () => {
    const all = svc.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(encodeURIComponent(PASSWORD));
    expect(all).toContain('smpp://sealwatch:***@127.0.0.1');
  });
});

describe('SMS over SMPP: an SMSC that is down, and a wrong password', () => {
  it('SMSC down at start → the service starts, the SMS waits in the outbox, and goes once the SMSC is up', async () => {
    const port = await freePort();
    const svc = await startService({
      env: { SMS_URL: `smpp://sealwatch:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`, PUBLIC_URL },
    });
    let smsc: Smsc | null = null;
    try {
      expect((await svc.api('GET', '/readyz')).status).toBe(200);
      await provision(svc);
      const s = await armedHousehold(svc, 'dongcun', '8');
      await publishOpen(svc, s, 1);
      let alertId = '';
      await eventually(
        async () => {
          alertId = (await openAlertOf(svc, s.sensorId))?.id ?? '';
          const [d] = alertId ? await smsDeliveries(svc, alertId) : [];
          return d?.status === 'pending' && typeof d.lastError === 'string';
        },
        20_000,
        'the SMS waiting in the outbox',
      );
      let metrics = (await svc.api('GET', '/metrics')).body as string;
      expect(metricValue(metrics, 'sealwatch_sms_up', { gateway: 'smpp' })).toBe(0);
      smsc = await startSmsc({ systemId: 'sealwatch', password: PASSWORD, port });
      // Two back-offs with full jitter in a row (the session's reconnect, the outbox's retry): seconds
      // to most of a minute.
      await eventually(
        async () => (await smsDeliveries(svc, alertId))[0]?.status === 'delivered',
        100_000,
        'the SMS delivered after the SMSC came up',
      );
      // Lost nothing, and sent it once: the attempts while the SMSC was down never reached it.
      expect(smsc.messagesTo(WANG_MSISDN).filter((t) => t.includes('8 号'))).toHaveLength(1);
      metrics = (await svc.api('GET', '/metrics')).body as string;
      expect(metricValue(metrics, 'sealwatch_sms_up', { gateway: 'smpp' })).toBe(1);
    } finally {
      await svc.cleanup();
      await smsc?.stop();
    }
  }, 150_000);

  it('a bind with a wrong password is refused and logged with the system_id, not the password', async () => {
    const smsc = await startSmsc({ systemId: 'sealwatch', password: PASSWORD });
    const wrong = 'Wr0ngPw7';
    const svc = await startService({ env: { SMS_URL: smsc.url('sealwatch', wrong) } });
    try {
      const line = await svc.waitForLog((l) => String(l.msg).startsWith('SMPP bind refused'));
      expect(line).toMatchObject({ systemId: 'sealwatch', commandStatus: '0x0000000e' });
      expect(smsc.binds[0]).toEqual({ systemId: 'sealwatch', ok: false });
      const all = svc.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
      expect(all).not.toContain(wrong);
      expect(all).not.toContain(encodeURIComponent(wrong));
      expect((await svc.api('GET', '/readyz')).status).toBe(200);
    } finally {
      await svc.cleanup();
      await smsc.stop();
    }
  });
});
