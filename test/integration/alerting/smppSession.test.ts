/**
 * The SMPP session and channel (alerting/notifiers/sms/) against a real SMSC on loopback
 * (test/helpers/smppServer.ts): the window of outstanding submit_sm, the per-request timeout,
 * enquire_link finding a dead link (SMPP 3.4 §4.11), reconnect and bind again after the SMSC drops
 * the connection, the SMSC's refusals classified (§5.1.3 command_status), and a deliver_sm receipt
 * (esm_class 0x04, Appendix B) reaching the ledger.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReceiptOutcome } from '../../../alerting/notifiers/sms/deliveryReceipt.ts';
import { createSmppChannel } from '../../../alerting/notifiers/sms/smppChannel.ts';
import { SmppSession } from '../../../alerting/notifiers/sms/smppSession.ts';
import type { SmsLedger } from '../../../alerting/notifiers/sms/smsLedger.ts';
import type { Notification } from '../../../alerting/notifiers/types.ts';
import { parseSmsUrl, type SmppTarget } from '../../../core/smsUrl.ts';
import { eventually } from '../../helpers/eventually.ts';
import { type Smsc, startSmsc } from '../../helpers/smppServer.ts';

const logger = pino({ level: 'silent' });
const clock = { now: () => Date.now() };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function rig(window: number, options: { requestTimeoutMs?: number; enquireLinkMs?: number } = {}) {
  const smsc = await startSmsc({ systemId: 'sw', password: 'pw' });
  closers.push(() => smsc.stop());
  const target = { ...(parseSmsUrl(smsc.url()) as SmppTarget), window };
  const session = new SmppSession({
    target,
    logger,
    onDeliver: async () => 0,
    reconnect: { baseMs: 50, capMs: 200 },
    ...options,
  });
  session.start();
  closers.push(() => session.stop());
  await eventually(() => session.up, 5_000, 'bound');
  return { smsc, session, target };
}

const submit = (session: SmppSession, i: number) =>
  session.submit({
    destination_addr: '13800138000',
    short_message: Buffer.from(`m${i}`),
    registered_delivery: 1,
  });

describe('SMPP session against a loopback SMSC', () => {
  it('keeps at most `window` submit_sm outstanding; the rest wait their turn and all are answered', async () => {
    const { smsc, session } = await rig(3);
    smsc.hold(true);
    const answers = Array.from({ length: 8 }, (_, i) => submit(session, i));
    await eventually(() => smsc.outstanding.now === 3, 2_000);
    // Nothing beyond the window reaches the SMSC while the first three wait.
    await new Promise((r) => setTimeout(r, 200));
    expect(smsc.submits).toHaveLength(3);
    smsc.hold(false);
    smsc.release();
    const resps = await Promise.all(answers);
    expect(resps.every((r) => r.command_status === 0 && typeof r.message_id === 'string')).toBe(true);
    expect(smsc.submits).toHaveLength(8);
    expect(smsc.outstanding.max).toBe(3);
  });

  it('fails a submit_sm left unanswered past the request timeout, and frees its place in the window', async () => {
    const { smsc, session } = await rig(1, { requestTimeoutMs: 300 });
    smsc.hold(true);
    await expect(submit(session, 1)).rejects.toThrow(/unanswered after 300 ms/);
    smsc.hold(false);
    expect((await submit(session, 2)).command_status).toBe(0);
  });

  it('an enquire_link without answer drops the link; the session binds again', async () => {
    const { smsc, session } = await rig(2, { requestTimeoutMs: 300, enquireLinkMs: 200 });
    smsc.answerEnquireLink(false);
    await eventually(() => session.stats().connectionLosses === 1, 5_000, 'dead link noticed');
    smsc.answerEnquireLink(true);
    await eventually(() => session.up && smsc.binds.length >= 2, 5_000, 'bound again');
    expect((await submit(session, 1)).command_status).toBe(0);
  });

  it('reconnects and binds again after the SMSC drops every connection', async () => {
    const { smsc, session } = await rig(2);
    smsc.dropSessions();
    await eventually(() => session.stats().connectionLosses === 1 && session.up, 5_000, 'bound again');
    expect(smsc.binds.filter((b) => b.ok)).toHaveLength(2);
    expect((await submit(session, 1)).command_status).toBe(0);
  });
});

describe('SMPP channel: refusals and receipts', () => {
  const ledgerRecords: Array<{ outboxId: string; ids: readonly string[] }> = [];
  const receipts: Array<{ messageId: string; outcome: ReceiptOutcome }> = [];
  const ledger: SmsLedger = {
    async recordSubmitted(outboxId, ids) {
      ledgerRecords.push({ outboxId, ids });
    },
    async recordReceipt(messageId, r) {
      receipts.push({ messageId, outcome: r.outcome });
      const known = ledgerRecords.find((l) => l.ids.includes(messageId));
      return known
        ? { outboxId: known.outboxId, alertId: 'a1', recipientId: 'w1', receipt: r.outcome }
        : null;
    },
  };
  const notification = (id: string, text: string): Notification => ({
    id,
    recipient: { id: 'w1', phone: '+86 138 0013 8000' },
    subject: 's',
    view: { severity: 'critical', title: 't', intro: '', fields: [] },
    data: {},
    sms: { text, vars: { type: '', place: '', time: '', code: '' } },
  });

  async function channel(smsc: Smsc) {
    const c = createSmppChannel({
      target: { ...(parseSmsUrl(smsc.url()) as SmppTarget) },
      ledger,
      clock,
      logger,
      session: { reconnect: { baseMs: 50, capMs: 200 } },
    });
    c.start();
    closers.push(() => c.close());
    await eventually(() => c.stats().up, 5_000);
    return c;
  }

  it('a throttled SMSC (ESME_RTHROTTLED) means retry later; a bad address (ESME_RINVDSTADR) is permanent', async () => {
    const smsc = await startSmsc({ systemId: 'sw', password: 'pw' });
    closers.push(() => smsc.stop());
    const c = await channel(smsc);
    smsc.answerWith(0x58);
    expect(await c.send(notification('o1', '开门告警'))).toMatchObject({
      status: 'retryable',
      retryAfterMs: 1_000,
      error: 'smpp submit_sm refused: command_status 0x00000058',
    });
    smsc.answerWith(0x0b);
    expect(await c.send(notification('o2', '开门告警'))).toMatchObject({ status: 'permanent' });
    expect(c.stats()).toMatchObject({ sent: 0, failed: 2 });
  });

  it('records each part’s message_id, and a receipt for it reaches the ledger', async () => {
    const smsc = await startSmsc({ systemId: 'sw', password: 'pw' });
    closers.push(() => smsc.stop());
    const c = await channel(smsc);
    const long = '史村镇东村三组'.repeat(15); // 105 UCS-2 characters: two parts
    expect(await c.send(notification('o3', long))).toMatchObject({ status: 'delivered' });
    const ids = smsc.submits.map((s) => s.messageId);
    expect(ids).toHaveLength(2);
    expect(ledgerRecords.at(-1)).toEqual({ outboxId: 'o3', ids });
    expect(smsc.messagesTo('13800138000')).toEqual([long]);
    await smsc.receipt(ids[0] as string, 'UNDELIV');
    expect(receipts.at(-1)).toEqual({ messageId: ids[0], outcome: 'failed' });
    expect(c.stats().receipts).toEqual({ failed: 1 });
  });
});
