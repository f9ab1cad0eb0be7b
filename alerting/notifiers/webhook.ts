import type { Clock } from '../alertModel.ts';
import type { DeliveryResult, Notification, Notifier } from './types.ts';
import { buildWebhookRequest, interpretWebhookResponse, parseWebhookTarget } from './webhookFormats.ts';

export interface WebhookNotifierOptions {
  clock: Clock;
  timeoutMs?: number;
}

/**
 * Webhook channel: the recipient's `webhook` spec decides the URL, the format (generic JSON, WeCom,
 * DingTalk, Feishu) and the signing secret. Errors never contain the URL's query or the secret.
 */
export function createWebhookNotifier(opts: WebhookNotifierOptions): Notifier {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    channel: 'webhook',
    async send(n: Notification): Promise<DeliveryResult> {
      const spec = n.recipient.webhook;
      if (!spec) return { status: 'permanent', error: `recipient ${n.recipient.id} has no webhook` };
      let target: ReturnType<typeof parseWebhookTarget>;
      try {
        target = parseWebhookTarget(spec);
      } catch (err) {
        return {
          status: 'permanent',
          error: `bad webhook for recipient ${n.recipient.id}: ${(err as Error).message}`,
        };
      }
      const now = opts.clock.now();
      const req = buildWebhookRequest(target, n, now);
      let res: Response;
      try {
        res = await fetch(req.url, {
          method: 'POST',
          headers: req.headers,
          body: req.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        return { status: 'retryable', error: `${target.format} webhook unreachable: ${networkReason(err)}` };
      }
      let text = '';
      try {
        text = await res.text();
      } catch (err) {
        return {
          status: 'retryable',
          error: `${target.format} webhook answer cut off: ${networkReason(err)}`,
        };
      }
      return interpretWebhookResponse(target.format, res.status, text, res.headers.get('retry-after'), now);
    },
    async close(): Promise<void> {},
  };
}

/** fetch wraps the socket error in `cause`; its code (ECONNREFUSED, …) is what an operator needs. */
function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
