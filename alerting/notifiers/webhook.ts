import type { Clock } from '../alertModel.ts';
import { networkReason, type PostAnswer, postText } from './httpPost.ts';
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
      let answer: PostAnswer;
      try {
        answer = await postText(req.url, req.headers, req.body, timeoutMs);
      } catch (err) {
        const what = (err as { answerCutOff?: boolean }).answerCutOff ? 'answer cut off' : 'unreachable';
        return { status: 'retryable', error: `${target.format} webhook ${what}: ${networkReason(err)}` };
      }
      return interpretWebhookResponse(
        target.format,
        answer.status,
        answer.text,
        answer.header('retry-after'),
        now,
      );
    },
    async close(): Promise<void> {},
  };
}
