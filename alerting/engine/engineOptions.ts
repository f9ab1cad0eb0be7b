import type { Logger } from 'pino';
import type { EventBus } from '../../core/eventBus.ts';
import type { SealCommitted, ServiceEvents } from '../../core/events.ts';
import type { Clock, Policy } from '../alertModel.ts';
import type { AlertStore, Written } from '../alertStore.ts';
import type { BackoffOptions } from '../backoff.ts';
import type { Locale } from '../notificationTexts.ts';
import type { SmsReplyCodes } from '../notifiers/sms/replyCodes.ts';
import type { Notifier } from '../notifiers/types.ts';
import type { AlertingRegistry, AlertTelemetry, SealStates } from './ports.ts';

export interface AlertEngineOptions {
  registry: AlertingRegistry;
  seals: SealStates;
  store: AlertStore;
  bus: EventBus<ServiceEvents>;
  telemetry: AlertTelemetry;
  /** The channels that are on (no SMTP_URL → no e-mail notifier). */
  notifiers: readonly Notifier[];
  clock: Clock;
  logger: Logger;
  policy: Policy;
  /** ESCALATE_AFTER, in ms from the opening. */
  escalateAfter: readonly number[];
  tz: string;
  locale: Locale;
  publicUrl: string;
  ackKey: Buffer;
  /** Period of the sweep (offline, window ends, graces, escalations, retries). */
  sweepMs: number;
  backoff?: Partial<BackoffOptions>;
  /** With the SMS channel: the codes a worker replies with to acknowledge (engine/smsReplyFlow.ts). */
  smsReplyCodes?: SmsReplyCodes;
  limiter?: { limit: number; windowMs: number };
  /**
   * Where committed seal messages come from (default: this process's bus, `seal.decide`). Several
   * instances on one database feed the owner every instance's messages instead
   * (storage/postgres/sealFeed.ts): the listener answers when the message's decisions are written
   * (a promise), and fails when they could not be, so the feed reads the message again.
   */
  committedFeed?: (listener: (e: SealCommitted, mark?: FeedMark) => Written) => () => void;
  /**
   * CONNECTs the broker has received and not yet answered (0 without an embedded broker). After a
   * start, offline detection waits until they have drained: a county's seals logging back in are
   * not silent, however long the queue at the door.
   */
  connectBacklog?: () => number;
}

/**
 * Where a message stands in a durable feed. Written in the same transaction as the decisions the
 * message led to, so a reader that crashed mid-group knows exactly which messages it already decided
 * and decides none of them twice (a repeated opening counted twice, a counter raised twice).
 */
export interface FeedMark {
  key: string;
  value: string;
}
