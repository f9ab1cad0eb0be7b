import type { MessageView } from '../notificationTexts.ts';

export interface Recipient {
  id: string;
  name?: string | null | undefined;
  email?: string | null | undefined;
  /** Webhook target spec, see `parseWebhookTarget`. */
  webhook?: string | null | undefined;
  /** Mobile number for the SMS channel, as registered (notifiers/sms/phoneNumber.ts normalises it). */
  phone?: string | null | undefined;
  /**
   * Who to @-mention in a group-robot message (webhook channel): the worker's phone and chat-app
   * user id (notifiers/robotMentions.ts). Kept apart from `phone`, which means "send SMS".
   */
  mention?: { phone?: string | null | undefined; userId?: string | null | undefined } | undefined;
}

/** What an SMS notification carries, rendered when planned so a retry sends the same text. */
export interface SmsContent {
  /** The whole text (SMPP gateways): notifiers/sms/smsText.ts. */
  text: string;
  /** The same facts as an approved template's variables (Aliyun, Tencent Cloud). */
  vars: { type: string; place: string; time: string; code: string };
  /** The code a reply acknowledges with (notifiers/sms/replyCodes.ts); absent when replies are off. */
  replyCode?: string;
}

/** One rendered message for one recipient on one channel: what an outbox row holds. */
export interface Notification {
  /** Outbox row id: stable across retries, sent as an idempotency key (header / Message-ID). */
  id: string;
  recipient: Recipient;
  subject: string;
  view: MessageView;
  /** Facts for machine receivers (generic JSON webhook): alert id, type, event, grid, … */
  data: Record<string, unknown>;
  /**
   * Pre-rendered bodies that replace the rendering of `view` on e-mail (the daily report's tables).
   * `view` still gives title and severity for other channels.
   */
  rendered?: { text: string; html: string };
  /** On the SMS channel: the short text and template variables. */
  sms?: SmsContent;
}

export type DeliveryResult =
  | { status: 'delivered'; detail?: string }
  /** Try again later; `retryAfterMs` when the receiver said how long (Retry-After, rate limit). */
  | { status: 'retryable'; error: string; retryAfterMs?: number }
  /** Retrying the same notification cannot succeed (bad address, rejected by the receiver). */
  | { status: 'permanent'; error: string };

export interface Notifier {
  readonly channel: 'email' | 'webhook' | 'sms';
  send(n: Notification): Promise<DeliveryResult>;
  close(): Promise<void>;
}
