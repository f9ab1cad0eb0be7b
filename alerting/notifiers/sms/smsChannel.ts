import type { Notifier } from '../types.ts';

/** A text a worker sent back (an SMPP mobile-originated deliver_sm, or a cloud's reply callback). */
export interface SmsReply {
  /** The sender's number as the gateway gave it. */
  from: string;
  text: string;
}

/** What a reply did; `sealwatch_sms_replies_total{result}` counts them. */
export type SmsReplyResult =
  | 'acknowledged'
  | 'already_acknowledged'
  | 'unknown_number'
  | 'unknown_code'
  | 'no_code';

export interface SmsStats {
  gateway: 'smpp' | 'aliyun' | 'tencent';
  /** SMPP: bound now. The clouds: the last call reached the API. */
  up: boolean;
  /** Deliveries the gateway accepted, and ones it refused or that could not be handed over. */
  sent: number;
  failed: number;
  /** Delivery receipts by what they said (delivered, failed, pending) or `unmatched`. */
  receipts: Record<string, number>;
  replies: Partial<Record<SmsReplyResult, number>>;
}

/** The SMS channel: a notifier with a session to start, and replies and receipts coming back. */
export interface SmsChannel extends Notifier {
  readonly channel: 'sms';
  /** Connects (SMPP) in the background: a gateway that is down does not hold up the start. */
  start(): void;
  stats(): SmsStats;
  /** Where replies go; until set, a reply counts as `unknown_code`. */
  onReply(handler: ReplyHandler): void;
  /**
   * A cloud's push of receipts or replies (api/routes/smsCallbacks.ts): `unauthorized` unless the
   * token is SMS_URL's `callback=`; absent on SMPP, where both come over the session.
   */
  callback?(
    kind: 'report' | 'reply',
    token: string | undefined,
    body: unknown,
  ): Promise<{ ok: true; answer: Record<string, unknown> } | { ok: false; reason: 'unauthorized' }>;
}

/** Receives replies: the alerting engine acknowledges (engine/smsReplyFlow.ts). */
export type ReplyHandler = (reply: SmsReply) => Promise<SmsReplyResult>;

export function newStats(gateway: SmsStats['gateway']): SmsStats {
  return { gateway, up: false, sent: 0, failed: 0, receipts: {}, replies: {} };
}

export const bump = <K extends string>(rec: Partial<Record<K, number>>, key: K): void => {
  rec[key] = (rec[key] ?? 0) + 1;
};
