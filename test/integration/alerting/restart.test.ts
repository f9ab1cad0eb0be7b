/**
 * The outbox and escalation across a mail server outage and a kill -9 of the service: nothing
 * delivered twice, nothing raised twice, deadlines kept by the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import type { startService } from '../../helpers/service.ts';
import type { SmtpCapture } from '../../helpers/smtp.ts';
import type { WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { armedHousehold, publishOpen as publishOpenAs, startAlertingRig } from './grid.ts';

describe('alerting across outages and restarts', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let smtp: SmtpCapture;
  let hook: WebhookReceiver;

  let rig: Awaited<ReturnType<typeof startAlertingRig>>;
  beforeAll(async () => {
    rig = await startAlertingRig({
      MAIL_FROM: 'alerts@sealwatch.test',
      PUBLIC_URL: 'http://sealwatch.test',
      ESCALATE_AFTER: '6s,30s',
    });
    ({ svc, smtp, hook } = rig);
  });
  afterAll(async () => rig?.close());

  const publishOpen = (s: { sensorId: string; secret: string }, seq: number) => publishOpenAs(svc, s, seq);
  const alertsOf = async (sensorId: string) =>
    (
      (await svc.api('GET', '/api/alerts')).body as Array<{ sensorId?: string; id: string; count: number }>
    ).filter((a) => a.sensorId === sensorId);
  const mailsTo = (to: string, text: string) =>
    smtp.inbox.filter((m) => m.to.includes(to) && m.text.includes(text));

  it('SMTP down, then up: the e-mail is retried and delivered exactly once, its attempts visible on the alert', async () => {
    await smtp.stop();
    const s = await armedHousehold(svc, 'dongcun', '21');
    await publishOpen(s, 1);
    await eventually(async () => (await alertsOf(s.sensorId)).length === 1, 10_000, 'alert raised');
    const id = (await alertsOf(s.sensorId))[0]!.id;
    const emailDelivery = async () =>
      (await svc.api('GET', `/api/alerts/${id}`)).body.deliveries.find(
        (d: { channel: string; recipientId: string }) => d.channel === 'email' && d.recipientId === 'w-dong',
      );
    await eventually(
      async () => (await emailDelivery())?.lastError !== undefined,
      15_000,
      'a failed attempt',
    );
    const failed = await emailDelivery();
    expect(failed.status).toBe('pending');
    expect(failed.lastError).toMatch(/ECONNREFUSED|ESOCKET|connect/i);
    // The webhook channel did not wait for the mail server.
    await hook.waitFor((r) => r.path === '/wang' && r.body.includes('21 号'));

    await smtp.start();
    const mail = await smtp.waitFor(
      (m) => m.to.includes('wang@example.org') && m.text.includes('21 号'),
      40_000,
    );
    await eventually(async () => (await emailDelivery())?.status === 'delivered', 10_000, 'delivered status');
    const delivered = await emailDelivery();
    expect(delivered.attempts).toBeGreaterThanOrEqual(2);
    // Give a duplicate every chance to show up: one more sweep-and-deliver cycle and a bit.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(smtp.inbox.filter((m) => m.messageId === mail.messageId)).toHaveLength(1);
    const history = (await svc.api('GET', `/api/alerts/${id}`)).body.history;
    const emailNotes = history.filter(
      (c: { kind: string; detail: { channel?: string; recipientId?: string } }) =>
        c.kind === 'notified' && c.detail.channel === 'email' && c.detail.recipientId === 'w-dong',
    );
    expect(emailNotes.map((c: { detail: { status: string } }) => c.detail.status).at(-1)).toBe('delivered');
    expect(emailNotes.length).toBeGreaterThanOrEqual(2);
  });

  it('kill -9 during an escalation, restart: the escalation comes on time, nothing is delivered twice, no alert is raised twice', async () => {
    const s = await armedHousehold(svc, 'dongcun', '22');
    await publishOpen(s, 1);
    await smtp.waitFor((m) => m.to.includes('wang@example.org') && m.text.includes('22 号'));
    await hook.waitFor((r) => r.path === '/wang' && r.body.includes('22 号'));
    const [alert] = await alertsOf(s.sensorId);
    // Every first notification confirmed delivered before the crash (a claimed but unconfirmed one
    // may legitimately be sent again: the outbox is at-least-once).
    await eventually(
      async () =>
        (await svc.api('GET', `/api/alerts/${alert!.id}`)).body.deliveries.every(
          (d: { status: string }) => d.status === 'delivered',
        ),
      10_000,
      'first deliveries confirmed',
    );

    await svc.kill();
    await svc.restart();

    const town = await smtp.waitFor(
      (m) => m.to.includes('town@example.org') && m.text.includes('22 号'),
      30_000,
    );
    expect(town.subject).toContain('【升级】');
    const detail = (await svc.api('GET', `/api/alerts/${alert!.id}`)).body;
    const escalated = detail.history.filter((c: { kind: string }) => c.kind === 'escalated');
    expect(escalated).toHaveLength(1);
    const due = Date.parse(detail.openedAt) + 6_000;
    expect(Date.parse(escalated[0].at)).toBeGreaterThanOrEqual(due);
    expect(detail.escalationLevel).toBe(1);

    // Nothing delivered twice: one mail and one webhook per recipient and event.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(mailsTo('wang@example.org', '22 号')).toHaveLength(1);
    expect(hook.received.filter((r) => r.path === '/wang' && r.body.includes('22 号'))).toHaveLength(1);
    expect(mailsTo('town@example.org', '22 号')).toHaveLength(1);
    expect(hook.received.filter((r) => r.path === '/town' && r.body.includes('22 号'))).toHaveLength(1);

    // Known before the restart, so not raised again: a further open joins the same alert.
    await publishOpen(s, 2);
    await eventually(async () => (await alertsOf(s.sensorId))[0]?.count === 2, 10_000, 'count 2');
    expect(await alertsOf(s.sensorId)).toHaveLength(1);
    expect(mailsTo('wang@example.org', '22 号')).toHaveLength(1);
  });
});
