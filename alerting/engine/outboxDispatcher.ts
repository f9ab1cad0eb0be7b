import type { Logger } from 'pino';
import type { Clock } from '../alertModel.ts';
import type { AlertWriter, OutboxQueue, OutboxRow, OutboxUpdate } from '../alertStore.ts';
import { type BackoffOptions, planRetry } from '../backoff.ts';
import type { Channel } from '../notificationPlan.ts';
import type { RobotRateGate } from '../notifiers/robotRateLimit.ts';
import type { DeliveryResult, Notifier } from '../notifiers/types.ts';
import { parseWebhookTarget, type WebhookTarget } from '../notifiers/webhookFormats.ts';
import type { RecipientLimiter } from '../recipientLimiter.ts';

/** One flood limit per recipient and channel. */
export const limiterKey = (row: Pick<OutboxRow, 'channel' | 'recipientId'>): string =>
  `${row.channel}:${row.recipientId}`;

const BATCH = 50;

/** How a delivery attempt ended, for the alert's history. */
export interface Settled {
  row: OutboxRow;
  update: OutboxUpdate;
  result:
    | DeliveryResult
    | { status: 'folded' }
    | { status: 'channelOff'; error: string }
    | { status: 'skipped'; error: string };
}

/**
 * The error of a plan step not sent because the alert was acknowledged (or resolved) before it was
 * due. The outbox keeps it as `failed` (its statuses are fixed by a check constraint); the alert's
 * deliveries show it as `skipped` (alertView.ts).
 */
export const SKIPPED_ACKNOWLEDGED = 'skipped: acknowledged or resolved before this step';

/**
 * Delivers due outbox rows. A row is claimed in memory before the send (`inFlight`: no later pass
 * of this process picks it again) and settled after it: its status, attempts + 1 and first attempt
 * written in one commit with the alert's history. A crash between the two leaves the row as it was
 * (`pending`, due), so the next start sends it again: delivery is at-least-once, and a delivered
 * row is never sent again. Rows carry their rendered message, so a retry is identical (same
 * Message-ID / X-SealWatch-Delivery, which receivers can de-duplicate on).
 *
 * The claim used to be a commit of its own (`sending`, attempts + 1) before each send: an fsync on
 * the path from breach to webhook (issue 20.5) that bought only the count of attempts a crash cut
 * short; the crash re-sent the row either way. What is lost: an attempt cut by a crash is not
 * counted towards the retry limit. Rows still `sending` from an older build are put back to
 * pending at start as before (alertEngine.ts requeueSending).
 */
export class OutboxDispatcher {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly robots: RobotRateGate;
  /**
   * Rows being sent, or sent with their outcome not recorded (the database refused it): not sent
   * again by this process. The next start sends the unrecorded ones again.
   */
  private readonly inFlight = new Set<string>();
  /** Rows a pass took, from the moment it took them until their delivery ends (every branch). */
  private readonly taken = new Set<string>();
  /** Deliveries under way, for stop() and `busy`: a pass does not wait for its slowest one. */
  private readonly outstanding = new Set<Promise<void>>();
  /** Ends a pass's wait for its deliveries: something new may be due. */
  private kicked: (() => void) | null = null;

  constructor(
    private readonly deps: {
      store: AlertWriter & OutboxQueue;
      notifiers: ReadonlyMap<Channel, Notifier>;
      limiter: RecipientLimiter<OutboxRow>;
      clock: Clock;
      logger: Logger;
      backoff?: Partial<BackoffOptions>;
      /** Records the outcome (same transaction as the row's update) and tells the bus; false: not recorded. */
      settle: (s: Settled) => Promise<boolean | undefined>;
      /** Per-robot budgets shared by every recipient on the same robot URL (one gate for the engine). */
      robots: RobotRateGate;
      /** Is the alert still unacknowledged (open)? Asked for a plan step that waits for no acknowledgement. */
      unacknowledged?: (alertId: string) => boolean;
    },
  ) {
    this.robots = deps.robots;
  }

  /** Deliver what is due now; concurrent kicks fold into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      this.kicked?.();
      return;
    }
    // A database error here (busy, closed at shutdown) must be logged, not crash the process.
    this.running = this.loop()
      .catch((err: unknown) =>
        this.deps.logger.error({ err }, 'outbox delivery pass failed; the next sweep retries'),
      )
      .finally(() => {
        this.running = null;
      });
  }

  /** While a pass runs or a delivery is under way, the dispatcher polls the outbox itself when it ends. */
  get busy(): boolean {
    return this.running !== null || this.outstanding.size > 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kicked?.();
    await this.running;
    await Promise.all(this.outstanding);
  }

  /**
   * Delivers batch after batch of due rows. A pass waits for its batch, or for a kick, whichever
   * comes first: a server that holds its connection (a slow robot, a voice cloud that resets
   * connections, up to the channel's timeout) would otherwise hold back every row that falls due
   * meanwhile, a breach's webhook among them. The next poll skips rows still taken.
   */
  private async loop(): Promise<void> {
    do {
      this.again = false;
      while (!this.stopped) {
        // Listening from before the read: a row written while the read runs may not be in it.
        const kick = new Promise<void>((resolve) => {
          this.kicked = resolve;
        });
        const due = (await this.deps.store.dueOutbox(this.deps.clock.now(), BATCH)).filter(
          (row) => !this.inFlight.has(row.id) && !this.taken.has(row.id),
        );
        if (due.length === 0) break;
        await Promise.race([Promise.all(due.map((row) => this.start(row))), kick]);
      }
    } while (this.again && !this.stopped);
    this.kicked = null;
  }

  /**
   * One row's delivery, taken until it ends. Its failure (the database refused the outcome) is logged
   * here, as a pass no longer waits for it, and the row waits for the next sweep, as before.
   */
  private start(row: OutboxRow): Promise<void> {
    this.taken.add(row.id);
    const delivery: Promise<void> = this.deliver(row).then(
      () => this.ended(row, delivery, true),
      (err: unknown) => {
        this.deps.logger.error({ err, outboxId: row.id }, 'outbox delivery failed; the next sweep retries');
        this.ended(row, delivery, false);
      },
    );
    this.outstanding.add(delivery);
    return delivery;
  }

  private ended(row: OutboxRow, delivery: Promise<void>, ok: boolean): void {
    this.taken.delete(row.id);
    this.outstanding.delete(delivery);
    // What fell due while the last delivery ran, with no pass left to see it.
    if (ok && this.running === null && this.outstanding.size === 0) this.kick();
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { store, clock, logger } = this.deps;
    const now = clock.now();
    // A later step of the channel plan that only goes while nobody acknowledged (channelPlan.ts).
    if (row.notification.ifUnacknowledged && row.alertId && !this.deps.unacknowledged?.(row.alertId)) {
      await this.deps.settle({
        row,
        update: { ...updateOf(row), status: 'failed', nextAttemptAt: null, lastError: SKIPPED_ACKNOWLEDGED },
        result: { status: 'skipped', error: SKIPPED_ACKNOWLEDGED },
      });
      return;
    }
    const notifier = this.deps.notifiers.get(row.channel);
    if (!notifier) {
      const error = `${row.channel} channel is off`;
      await this.deps.settle({
        row,
        update: { ...updateOf(row), status: 'failed', nextAttemptAt: null, lastError: error },
        result: { status: 'channelOff', error },
      });
      return;
    }
    // The robot's own budget first: a row for a robot that is full (or blocked by its rate-limit
    // answer) waits in the outbox, unclaimed and not yet offered to the recipient limiter.
    const robot = robotOf(row);
    if (robot) {
      const freeAt = this.robots.nextFreeAt(robot, now);
      if (freeAt !== null) {
        // A new alert notification joins the recipient's next summary (which waits for the robot);
        // anything else (a retry, a summary, a report) waits in the outbox. Nothing is dropped.
        if (row.attempts === 0 && row.kind === 'alert') {
          this.deps.limiter.restore(limiterKey(row), row);
          await this.deps.settle({
            row,
            update: { ...updateOf(row), status: 'folded', nextAttemptAt: null },
            result: { status: 'folded' },
          });
        } else {
          await store.apply({
            outboxUpdates: [{ ...updateOf(row), status: 'pending', nextAttemptAt: freeAt }],
          });
        }
        return;
      }
    }
    // A call is never folded into a summary: there is no summary a phone could read out.
    if (row.attempts === 0 && row.kind === 'alert' && row.channel !== 'voice') {
      const admission = this.deps.limiter.offer(limiterKey(row), row, now);
      if (!admission.send) {
        await this.deps.settle({
          row,
          update: { ...updateOf(row), status: 'folded', nextAttemptAt: null },
          result: { status: 'folded' },
        });
        return;
      }
    }
    const claimed: OutboxUpdate = {
      ...updateOf(row),
      status: 'sending',
      attempts: row.attempts + 1,
      firstAttemptAt: row.firstAttemptAt ?? now,
    };
    this.inFlight.add(row.id);
    if (robot) this.robots.record(robot, now);
    let result: DeliveryResult;
    try {
      result = await notifier.send(row.notification);
    } catch (err) {
      result = { status: 'retryable', error: `notifier threw: ${(err as Error).message}` };
    }
    const at = clock.now();
    if (robot && result.status === 'retryable' && result.retryAfterMs !== undefined)
      this.robots.block(robot, at + result.retryAfterMs);
    let update: OutboxUpdate;
    if (result.status === 'delivered') {
      update = { ...claimed, status: 'delivered', deliveredAt: at, nextAttemptAt: null, lastError: null };
    } else if (result.status === 'permanent') {
      update = { ...claimed, status: 'failed', nextAttemptAt: null, lastError: result.error };
    } else {
      const plan = planRetry({
        attempt: claimed.attempts - 1,
        firstAttemptAt: claimed.firstAttemptAt ?? at,
        now: at,
        retryAfterMs: result.retryAfterMs,
        ...(this.deps.backoff ? { opts: this.deps.backoff } : {}),
      });
      update = plan.retry
        ? { ...claimed, status: 'pending', nextAttemptAt: plan.at, lastError: result.error }
        : { ...claimed, status: 'failed', nextAttemptAt: null, lastError: `gave up: ${result.error}` };
    }
    if (update.status !== 'delivered') {
      logger.warn(
        {
          outboxId: row.id,
          alertId: row.alertId,
          channel: row.channel,
          recipientId: row.recipientId,
          attempts: update.attempts,
          status: update.status,
          error: update.lastError,
        },
        'notification not delivered',
      );
    }
    // Thrown or not recorded: the row stays in flight, as its `sending` row stayed before (sent again at the next start).
    const recorded = await this.deps.settle({ row, update, result });
    if (recorded !== false) this.inFlight.delete(row.id);
  }
}

/** The group robot a webhook row goes to, or null (another channel, a bad spec). */
export function robotOf(row: Pick<OutboxRow, 'channel' | 'notification'>): WebhookTarget | null {
  if (row.channel !== 'webhook') return null;
  const spec = row.notification.recipient.webhook;
  if (!spec) return null;
  try {
    return parseWebhookTarget(spec);
  } catch {
    return null;
  }
}

function updateOf(row: OutboxRow): OutboxUpdate {
  return {
    id: row.id,
    status: row.status,
    attempts: row.attempts,
    firstAttemptAt: row.firstAttemptAt,
    nextAttemptAt: row.nextAttemptAt,
    deliveredAt: row.deliveredAt,
    lastError: row.lastError,
  };
}
