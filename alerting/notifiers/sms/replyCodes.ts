import { randomInt } from 'node:crypto';

/**
 * The codes a worker replies with to acknowledge by SMS ("回复 417 确认"), as PagerDuty's "Reply 4 to
 * acknowledge". A code names one of the worker's unresolved alerts:
 * - unique among that worker's unresolved alerts (the same alert keeps its code across escalation
 *   steps and reminders, so every SMS about it says the same);
 * - drawn at random, not counted up, so a code says nothing of another worker's codes, and a reply
 *   needs both the worker's phone and their code;
 * - free again once its alert is resolved.
 * Three digits while a worker has fewer than 450 codes, four beyond (so a random draw rarely collides).
 *
 * Memory only: the codes are written in the outbox rows of the SMS that carry them (notification.sms),
 * and `hold` puts them back at start from the unresolved alerts' deliveries.
 */
export class SmsReplyCodes {
  /** recipient → code → alert. */
  private readonly byRecipient = new Map<string, Map<string, string>>();
  /** alert → recipient → code. */
  private readonly byAlert = new Map<string, Map<string, string>>();

  constructor(private readonly draw: (min: number, max: number) => number = randomInt) {}

  /** The code of `alertId` for `recipientId`: the one it has, or a new one. */
  allocate(recipientId: string, alertId: string): string {
    const had = this.byAlert.get(alertId)?.get(recipientId);
    if (had) return had;
    const codes = this.byRecipient.get(recipientId) ?? new Map<string, string>();
    const [min, max] = codes.size < 450 ? [100, 1000] : [1000, 10_000];
    let code = String(this.draw(min, max));
    // At most half the space is taken, so a few draws find a free code; the scan is the backstop.
    for (let i = 0; codes.has(code) && i < 32; i++) code = String(this.draw(min, max));
    for (let n = min; codes.has(code) && n < max; n++) code = String(n);
    this.hold(recipientId, alertId, code);
    return code;
  }

  /** Records a code already given (at start, from the outbox). */
  hold(recipientId: string, alertId: string, code: string): void {
    const codes = this.byRecipient.get(recipientId) ?? new Map<string, string>();
    this.byRecipient.set(recipientId, codes.set(code, alertId));
    const recipients = this.byAlert.get(alertId) ?? new Map<string, string>();
    this.byAlert.set(alertId, recipients.set(recipientId, code));
  }

  /** The alert's codes are free again (it was resolved). */
  release(alertId: string): void {
    const recipients = this.byAlert.get(alertId);
    if (!recipients) return;
    this.byAlert.delete(alertId);
    for (const [recipientId, code] of recipients) {
      const codes = this.byRecipient.get(recipientId);
      if (codes?.get(code) !== alertId) continue;
      codes.delete(code);
      if (codes.size === 0) this.byRecipient.delete(recipientId);
    }
  }

  /** The alert a worker's code names, if it is one of theirs. */
  lookup(recipientId: string, code: string): string | undefined {
    return this.byRecipient.get(recipientId)?.get(code);
  }

  get size(): number {
    return this.byAlert.size;
  }
}
