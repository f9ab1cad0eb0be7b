import type { MessageView } from '../notificationTexts.ts';

export interface Recipient {
  id: string;
  name?: string | null | undefined;
  email?: string | null | undefined;
  /** Webhook target spec, see `parseWebhookTarget`. */
  webhook?: string | null | undefined;
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
}

export type DeliveryResult =
  | { status: 'delivered'; detail?: string }
  /** Try again later; `retryAfterMs` when the receiver said how long (Retry-After, rate limit). */
  | { status: 'retryable'; error: string; retryAfterMs?: number }
  /** Retrying the same notification cannot succeed (bad address, rejected by the receiver). */
  | { status: 'permanent'; error: string };

export interface Notifier {
  readonly channel: 'email' | 'webhook';
  send(n: Notification): Promise<DeliveryResult>;
  close(): Promise<void>;
}
