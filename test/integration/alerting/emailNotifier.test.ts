import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ackUrl, signAckToken } from '../../../alerting/ackLink.ts';
import {
  computeDailyReport,
  dailyReportNotification,
  renderDailyReport,
} from '../../../alerting/dailyReport.ts';
import { alertMessage, subjectOf } from '../../../alerting/notificationTexts.ts';
import { createEmailNotifier } from '../../../alerting/notifiers/email.ts';
import type { Notification } from '../../../alerting/notifiers/types.ts';
import { findPart, parseMime } from './mime.ts';

const T0 = Date.UTC(2026, 0, 10, 2, 0, 0);
const TZ = 'Asia/Shanghai';
const XSS = '<img src=x onerror=alert(1)>';

interface Captured {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on loopback that keeps what it receives and refuses one address with 550. */
function startSmtp(): Promise<{ server: SMTPServer; port: number; inbox: Captured[] }> {
  const inbox: Captured[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (address.address === 'nobody@example.org') {
        const err = new Error('5.1.1 mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        inbox.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, port: (server.server.address() as AddressInfo).port, inbox });
    });
  });
}

function closeSmtp(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function notification(locale: 'zh-CN' | 'en', email: string, address = '东村三组 12 号'): Notification {
  const token = signAckToken(
    { alertId: 'a1', recipientId: 'w-g3', expiresAt: T0 + 86_400_000, nonce: 'n1' },
    'k'.repeat(32),
  );
  const url = ackUrl('https://sw.example.org', token);
  const view = alertMessage({
    locale,
    tz: TZ,
    event: 'opened',
    alert: {
      id: 'a1',
      type: 'breach',
      severity: 'critical',
      openedAt: T0,
      count: 1,
      escalationLevel: 0,
      sensorId: 's1',
    },
    address,
    gridPath: ['曲沃县', '史村镇', '东村', '三组'],
    ackUrl: url,
    ackExpiresAt: T0 + 86_400_000,
    now: T0,
  });
  return {
    id: 'ob-1',
    recipient: { id: 'w-g3', name: '王网格', email },
    subject: subjectOf(locale, view),
    view,
    data: { alertId: 'a1' },
  };
}

describe('e-mail notifier against a real SMTP server on loopback', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await closeSmtp(smtp.server);
  });

  it('delivers a readable zh-CN alert: subject, address, grid path, local time, acknowledge link', async () => {
    const notifier = createEmailNotifier({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      from: 'SealWatch <alerts@sealwatch.test>',
    });
    const n = notification('zh-CN', 'g3@example.org');
    const result = await notifier.send(n);
    await notifier.close();
    expect(result.status).toBe('delivered');
    expect(smtp.inbox).toHaveLength(1);
    const mail = smtp.inbox[0]!;
    expect(mail.from).toBe('alerts@sealwatch.test');
    expect(mail.to).toEqual(['g3@example.org']);
    const msg = parseMime(mail.raw);
    expect(msg.headers.get('subject')).toBe('[SealWatch 门磁监测] 紧急: 开门告警 · 东村三组 12 号');
    expect(msg.headers.get('message-id')).toBe('<ob-1@sealwatch>');
    const text = findPart(msg, 'text/plain')?.text ?? '';
    const html = findPart(msg, 'text/html')?.text ?? '';
    for (const body of [text, html]) {
      expect(body).toContain('东村三组 12 号');
      expect(body).toContain('曲沃县 / 史村镇 / 东村 / 三组');
      expect(body).toContain('2026-01-10 10:00:00');
      expect(body).toContain(n.view.action!.url);
    }
    expect(html).toContain('font-size:22px');
  });

  it('escapes hostile values in the HTML part', async () => {
    const notifier = createEmailNotifier({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      from: 'alerts@sealwatch.test',
    });
    const before = smtp.inbox.length;
    expect((await notifier.send(notification('en', 'g3@example.org', XSS))).status).toBe('delivered');
    await notifier.close();
    const html = findPart(parseMime(smtp.inbox[before]!.raw), 'text/html')?.text ?? '';
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
  });

  it('a recipient refused with 550 is a permanent failure; no address at all too', async () => {
    const notifier = createEmailNotifier({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      from: 'alerts@sealwatch.test',
    });
    const refused = await notifier.send(notification('en', 'nobody@example.org'));
    expect(refused.status).toBe('permanent');
    if (refused.status === 'permanent') expect(refused.error).toContain('550');
    const none = await notifier.send({ ...notification('en', ''), recipient: { id: 'w9' } });
    expect(none).toEqual({ status: 'permanent', error: 'recipient w9 has no e-mail address' });
    await notifier.close();
  });

  it('sends the daily report with its own tables', async () => {
    const notifier = createEmailNotifier({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      from: 'alerts@sealwatch.test',
    });
    const report = computeDailyReport({
      rootId: 'town',
      nodes: [
        { id: 'county', name: '曲沃县', parentId: null },
        { id: 'town', name: '史村镇', parentId: 'county' },
        { id: 'v1', name: '东村', parentId: 'town' },
      ],
      households: [{ id: 'h1', gridId: 'v1', sealed: true }],
      alerts: [],
      stillOpen: [],
      offlineSensors: [],
      from: T0 - 86_400_000,
      to: T0,
    });
    const rendered = renderDailyReport(report, 'zh-CN', TZ);
    const before = smtp.inbox.length;
    const r = await notifier.send(
      dailyReportNotification(report, rendered, { id: 'l1', email: 'leader@example.org' }, 'rep-1'),
    );
    await notifier.close();
    expect(r.status).toBe('delivered');
    const msg = parseMime(smtp.inbox[before]!.raw);
    expect(msg.headers.get('subject')).toBe('门磁监测日报 · 史村镇 · 2026-01-10');
    expect(findPart(msg, 'text/plain')?.text).toContain('在管隔离户（已布防）: 1');
    expect(findPart(msg, 'text/html')?.text).toContain('东村');
  });

  it('SMTP server down → retryable failure with the reason', async () => {
    const down = await startSmtp();
    const port = down.port;
    await closeSmtp(down.server);
    const notifier = createEmailNotifier({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: 'alerts@sealwatch.test',
      timeoutMs: 2000,
    });
    const r = await notifier.send(notification('en', 'g3@example.org'));
    await notifier.close();
    expect(r.status).toBe('retryable');
    if (r.status === 'retryable') expect(r.error).toMatch(/ECONNREFUSED|ECONNECTION|ESOCKET/);
  });
});
