import nodemailer from 'nodemailer';
import { renderHtml, renderText } from '../notificationTexts.ts';
import type { DeliveryResult, Notification, Notifier } from './types.ts';

export interface EmailNotifierOptions {
  /** SMTP_URL, e.g. `smtp://user:pass@mail.example:587` or `smtps://…:465`. */
  smtpUrl: string;
  /** MAIL_FROM, e.g. `SealWatch <alerts@example.org>`. */
  from: string;
  /** Connect/greeting timeout; an outbox must not hang on a dead server for nodemailer's 2 min default. */
  timeoutMs?: number;
  /** `lang` of the HTML part. */
  lang?: 'zh-CN' | 'en';
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
  response?: string;
  message?: string;
}

/** Codes that mean "this message is wrong" rather than "the channel is down now". */
const PERMANENT_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'ECONFIG']);

/**
 * Classify a nodemailer error. An SMTP reply decides when there is one (5xx except 503 → permanent,
 * the rest → retryable). Without a reply: a bad envelope/message is permanent; connection, TLS,
 * timeout and authentication failures are retryable — a wrong SMTP password is fixed by an operator,
 * after which the queued mail should still go out.
 */
export function classifySmtpError(err: unknown): DeliveryResult {
  const e = (err ?? {}) as SmtpError;
  const reply = e.response ? ` (${e.response.slice(0, 200)})` : '';
  const msg = `smtp ${e.code ?? 'error'}: ${e.message ?? String(err)}${reply}`;
  if (typeof e.responseCode === 'number') {
    const permanent =
      e.permanent ?? (e.responseCode >= 500 && e.responseCode < 600 && e.responseCode !== 503);
    return permanent ? { status: 'permanent', error: msg } : { status: 'retryable', error: msg };
  }
  if (e.code && PERMANENT_CODES.has(e.code)) return { status: 'permanent', error: msg };
  return { status: 'retryable', error: msg };
}

export function createEmailNotifier(opts: EmailNotifierOptions): Notifier {
  const timeout = opts.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({
    url: opts.smtpUrl,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 3,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    channel: 'email',
    async send(n: Notification): Promise<DeliveryResult> {
      const to = n.recipient.email;
      if (!to) return { status: 'permanent', error: `recipient ${n.recipient.id} has no e-mail address` };
      try {
        const info = await transport.sendMail({
          from: opts.from,
          to: n.recipient.name ? { name: n.recipient.name, address: to } : to,
          subject: n.subject,
          text: n.rendered?.text ?? renderText(n.view),
          html: n.rendered?.html ?? renderHtml(n.view, opts.lang),
          // Stable across retries: a receiver (or a human) can tell a resend from a new alert.
          messageId: `<${n.id}@sealwatch>`,
          headers: { 'X-SealWatch-Notification': n.id },
        });
        return { status: 'delivered', detail: String(info.response ?? 'accepted') };
      } catch (err) {
        return classifySmtpError(err);
      }
    },
    async close(): Promise<void> {
      transport.close();
    },
  };
}
