import type { WebhookFormat, WebhookTarget } from './webhookFormats.ts';

/**
 * The group robots limit messages per robot (its webhook URL), not per person: every worker whose
 * `webhook` is the same robot shares one budget. In memory (after a restart it starts empty; at
 * worst the robot answers with its rate-limit code, which blocks the robot here too). Time is
 * always passed in.
 */
export interface RateWindow {
  limit: number;
  windowMs: number;
}

/**
 * - WeCom group robot: "每个机器人发送的消息不能超过20条/分钟" (20 a minute),
 *   https://developer.work.weixin.qq.com/document/path/91770
 * - DingTalk custom robot: 20 a minute, then throttled for 10 minutes,
 *   https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages
 * - Feishu custom bot: "单租户单机器人 100 次/分钟，5 次/秒" (100 a minute and 5 a second),
 *   https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
 */
export const ROBOT_LIMITS: Record<WebhookFormat, readonly RateWindow[]> = {
  generic: [],
  wecom: [{ limit: 20, windowMs: 60_000 }],
  dingtalk: [{ limit: 20, windowMs: 60_000 }],
  feishu: [
    { limit: 100, windowMs: 60_000 },
    { limit: 5, windowMs: 1_000 },
  ],
};

/** One budget per robot: the format and the URL without its fragment (the query holds the token). */
export const robotKey = (t: WebhookTarget): string => `${t.format} ${t.url}`;

export class RobotRateGate {
  private readonly sent = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();
  /** The longest window of any robot: sends older than that no longer count anywhere. */
  private readonly longestMs: number;

  constructor(private readonly limits: Record<WebhookFormat, readonly RateWindow[]> = ROBOT_LIMITS) {
    this.longestMs = Math.max(0, ...Object.values(limits).flatMap((ws) => ws.map((w) => w.windowMs)));
  }

  /** Null when `t` may be sent to now; otherwise the earliest time it may. Records nothing. */
  nextFreeAt(t: WebhookTarget, now: number): number | null {
    const key = robotKey(t);
    let at = this.blockedUntil.get(key) ?? 0;
    const times = this.prune(key, now);
    for (const w of this.limits[t.format]) {
      let inWindow = 0;
      for (let i = times.length - 1; i >= 0 && times[i]! > now - w.windowMs; i--) inWindow++;
      if (inWindow >= w.limit) at = Math.max(at, times[times.length - w.limit]! + w.windowMs);
    }
    return at > now ? at : null;
  }

  /** A request goes to the robot now. */
  record(t: WebhookTarget, now: number): void {
    const key = robotKey(t);
    const times = this.sent.get(key) ?? [];
    times.push(now);
    this.sent.set(key, times);
  }

  /** The robot said "later" (rate limit, Retry-After): nothing goes to it before `until`. */
  block(t: WebhookTarget, until: number): void {
    const key = robotKey(t);
    this.blockedUntil.set(key, Math.max(until, this.blockedUntil.get(key) ?? 0));
  }

  private prune(key: string, now: number): number[] {
    const times = this.sent.get(key) ?? [];
    let i = 0;
    while (i < times.length && times[i]! <= now - this.longestMs) i++;
    const kept = i > 0 ? times.slice(i) : times;
    if (kept.length === 0) this.sent.delete(key);
    else this.sent.set(key, kept);
    const until = this.blockedUntil.get(key);
    if (until !== undefined && until <= now) this.blockedUntil.delete(key);
    return kept;
  }
}
