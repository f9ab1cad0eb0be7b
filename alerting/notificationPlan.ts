import { randomBytes } from 'node:crypto';
import { ackUrl, DEFAULT_ACK_TTL_MS, signAckToken } from './ackLink.ts';
import type { Alert } from './alertModel.ts';
import { alertMessage, type LifecycleEvent, type Locale, subjectOf } from './notificationTexts.ts';
import { smsTemplateVars, smsText } from './notifiers/sms/smsText.ts';
import type { Notification, SmsContent } from './notifiers/types.ts';
import type { Worker } from './routing.ts';

export type Channel = 'email' | 'webhook' | 'sms';

/** One outbox row to insert: the rendered notification travels with it, so delivery never re-renders. */
export interface PlannedDelivery {
  channel: Channel;
  recipientId: string;
  alertId: string;
  /** The ack token's nonce, for single-use bookkeeping. */
  ackNonce: string;
  notification: Notification;
}

export interface PlanInput {
  alert: Alert;
  event: LifecycleEvent;
  /** Rule detail of the alert (lastSeen, battery, silent/monitored, opensToday/limit…). */
  detail: Record<string, unknown>;
  /** `mentionPhone`: the phone to @-mention in robot messages when `phone` is off (no SMS channel). */
  recipients: readonly (Worker & { mentionPhone?: string | null | undefined })[];
  address?: string | undefined;
  gridPath: readonly string[];
  locale: Locale;
  tz: string;
  publicUrl: string;
  ackKey: string | Buffer;
  ackTtlMs?: number;
  now: number;
  /** Outbox ids (e.g. randomUUID); injected so plans are reproducible in tests. */
  newId: () => string;
  /** Ack token nonces; random by default. */
  newNonce?: () => string;
  /** The SMS reply code of this alert for a recipient (notifiers/sms/replyCodes.ts); none: no code. */
  smsReplyCode?: (recipientId: string) => string;
}

/**
 * Every delivery an alert event causes: for each recipient, one per channel it has (e-mail, webhook,
 * SMS to its phone),
 * each with its own signed acknowledge link (recipient-bound, so the ack records who). A recipient
 * with no channel gets nothing here; the engine should count/log it (`unreachable`).
 */
export function planNotifications(input: PlanInput): {
  deliveries: PlannedDelivery[];
  unreachable: string[];
} {
  const deliveries: PlannedDelivery[] = [];
  const unreachable: string[] = [];
  const expiresAt = input.now + (input.ackTtlMs ?? DEFAULT_ACK_TTL_MS);
  const seen = new Set<string>();
  for (const w of input.recipients) {
    if (seen.has(w.id)) continue;
    seen.add(w.id);
    const channels: Channel[] = [];
    if (w.email) channels.push('email');
    if (w.webhook) channels.push('webhook');
    if (w.phone) channels.push('sms');
    if (channels.length === 0) {
      unreachable.push(w.id);
      continue;
    }
    for (const channel of channels) {
      const id = input.newId();
      const nonce = input.newNonce ? input.newNonce() : randomBytes(12).toString('base64url');
      const token = signAckToken(
        { alertId: input.alert.id, recipientId: w.id, expiresAt, nonce },
        input.ackKey,
      );
      const view = alertMessage({
        locale: input.locale,
        tz: input.tz,
        event: input.event,
        alert: input.alert,
        detail: input.detail,
        address: input.address,
        gridPath: input.gridPath,
        ackUrl: ackUrl(input.publicUrl, token),
        ackExpiresAt: expiresAt,
        now: input.now,
      });
      deliveries.push({
        channel,
        recipientId: w.id,
        alertId: input.alert.id,
        ackNonce: nonce,
        notification: {
          id,
          recipient: {
            id: w.id,
            name: w.name,
            email: w.email,
            webhook: w.webhook,
            ...(channel === 'sms' ? { phone: w.phone } : {}),
            ...(channel === 'webhook'
              ? { mention: { phone: w.mentionPhone ?? w.phone, userId: w.chatUserId } }
              : {}),
          },
          ...(channel === 'sms' ? { sms: smsContent(input, w.id, token) } : {}),
          subject: subjectOf(input.locale, view),
          view,
          data: {
            event: input.event,
            alertId: input.alert.id,
            type: input.alert.type,
            severity: input.alert.severity,
            sensorId: input.alert.sensorId ?? null,
            householdId: input.alert.householdId ?? null,
            gridId: input.alert.gridId,
            gridPath: input.gridPath,
            openedAt: new Date(input.alert.openedAt).toISOString(),
            count: input.alert.count,
            escalationLevel: input.alert.escalationLevel,
          },
        },
      });
    }
  }
  return { deliveries, unreachable };
}

/** The SMS's text and template variables, with the recipient's reply code and ack link. */
function smsContent(input: PlanInput, recipientId: string, token: string): SmsContent {
  const replyCode = input.smsReplyCode?.(recipientId);
  const facts = {
    locale: input.locale,
    tz: input.tz,
    event: input.event,
    type: input.alert.type,
    detail: input.detail,
    openedAt: input.alert.openedAt,
    address: input.address,
    gridPath: input.gridPath,
    replyCode,
  };
  return {
    text: smsText({ ...facts, ackUrl: ackUrl(input.publicUrl, token) }),
    vars: smsTemplateVars(facts),
    ...(replyCode ? { replyCode } : {}),
  };
}
