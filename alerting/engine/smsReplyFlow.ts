import type { Logger } from 'pino';
import { normalisePhone } from '../notifiers/sms/phoneNumber.ts';
import type { SmsReplyCodes } from '../notifiers/sms/replyCodes.ts';
import type { SmsReply, SmsReplyResult } from '../notifiers/sms/smsChannel.ts';
import type { Worker } from '../routing.ts';
import type { AlertEngine } from './alertEngine.ts';
import type { AlertingRegistry } from './ports.ts';

/**
 * Acknowledge by replying to the alert SMS ("回复 417 确认"): the reply's sender is matched to the
 * workers with that phone number, the code to one of their unresolved alerts (replyCodes.ts), and
 * the alert is acknowledged as that worker, as the one-tap link does (ackFlow.ts). A reply from a
 * number no worker has, without a code, or with a code that names none of the sender's open alerts
 * (stale: resolved since, or another worker's) changes nothing; the channel counts each result.
 */
export class SmsReplyFlow {
  constructor(
    private readonly engine: Pick<AlertEngine, 'getAlert' | 'acknowledge'>,
    private readonly registry: Pick<AlertingRegistry, 'tree' | 'workersAt'>,
    private readonly codes: SmsReplyCodes,
    private readonly logger: Logger,
  ) {}

  async handle(reply: SmsReply): Promise<SmsReplyResult> {
    const from = normalisePhone(reply.from);
    const workers = from ? this.workersWithPhone(from) : [];
    // The number is personal data: the log keeps only its last four digits.
    const masked = `…${from.slice(-4)}`;
    if (workers.length === 0) {
      this.logger.info({ from: masked }, 'SMS reply from a number no worker has; ignored');
      return 'unknown_number';
    }
    const code = codeIn(reply.text);
    if (!code) {
      this.logger.info(
        { from: masked, workers: workers.map((w) => w.id) },
        'SMS reply without a code; ignored',
      );
      return 'no_code';
    }
    for (const w of workers) {
      const alertId = this.codes.lookup(w.id, code);
      if (!alertId) continue;
      const alert = await this.engine.getAlert(alertId).catch(() => null);
      if (!alert || alert.status === 'resolved') continue;
      if (alert.status === 'acknowledged') return 'already_acknowledged';
      await this.engine.acknowledge(alertId, w.id, 'acknowledged by SMS reply');
      this.logger.info({ alertId, workerId: w.id }, 'alert acknowledged by SMS reply');
      return 'acknowledged';
    }
    this.logger.info(
      { from: masked, workers: workers.map((w) => w.id) },
      'SMS reply with a code that names none of the sender’s open alerts; ignored',
    );
    return 'unknown_code';
  }

  /** Replies are rare: a walk over the workers beats keeping a phone index in step with the registry. */
  private workersWithPhone(phone: string): Worker[] {
    const found: Worker[] = [];
    for (const node of this.registry.tree.all())
      for (const w of this.registry.workersAt(node.id))
        if (w.phone && normalisePhone(w.phone) === phone) found.push(w);
    return found;
  }
}

/** The code in a reply: its one number ("417", " 417 ", "417 收到", "确认417"); none if it has several. */
export function codeIn(text: string): string | null {
  const numbers = text.normalize('NFKC').match(/\d+/g) ?? [];
  return numbers.length === 1 && (numbers[0] as string).length <= 6 ? (numbers[0] as string) : null;
}
