import { normalisePhone } from './sms/phoneNumber.ts';
import type { Recipient } from './types.ts';

/**
 * @-mentions in group-robot messages (issue 17.6): the person a notification is for (the assignee,
 * or the leader an alert escalates to) is mentioned in the group, so the chat app notifies them
 * even when the group is muted. Each vendor allows it differently, by message type:
 *
 * - WeCom group robot (https://developer.work.weixin.qq.com/document/path/91770, 群机器人配置说明):
 *   `text` messages take `mentioned_list` (userids) and `mentioned_mobile_list` (mobiles);
 *   `markdown` messages take no list but the `<@userid>` extension in `content` ("机器人的
 *   text/markdown类型消息支持在content中使用<@userid>扩展语法来@群成员"), by userid only.
 *   So: a worker with a WeCom userid gets the markdown message with `<@userid>`; one with only a
 *   phone gets a `text` message (plain, at most 2048 bytes) with `mentioned_mobile_list`.
 * - DingTalk custom robot (https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages):
 *   `text` and `markdown` take `at: {atMobiles, atUserIds, isAtAll}`, and the mention only shows
 *   (and notifies) when the text itself contains `@<mobile>` / `@<userId>` ("在content里添加@人的
 *   手机号"). By phone or by user id; we keep markdown.
 * - Feishu custom bot (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot): text
 *   takes `<at user_id="ou_…">name</at>`, post a `{"tag":"at","user_id":"ou_…"}` element, and an
 *   interactive card's `lark_md` takes `<at id=ou_…></at>`; always by open_id (or user_id), never by
 *   phone: a custom bot cannot look a phone number up. We keep the card and add the `<at>` to it.
 *
 * The id is the worker's `chatUserId`: one per worker, because a worker has one webhook and so one
 * vendor (WeCom userid, DingTalk userId, Feishu open_id). The registry restricts it to
 * `[A-Za-z0-9_.@-]`, so it can go into markup as it is.
 */
export interface RobotMention {
  /** Mobile as the chat app knows it: a mainland number without +86; '' when not usable. */
  mobile: string;
  /** The vendor's user id (WeCom userid, DingTalk userId, Feishu open_id); '' when none. */
  userId: string;
}

/** Who to mention for a recipient, or null when it has neither a usable phone nor a user id. */
export function mentionOf(r: Recipient): RobotMention | null {
  const mobile = r.mention?.phone ? normalisePhone(r.mention.phone) : '';
  const userId = r.mention?.userId ?? '';
  return mobile || userId ? { mobile, userId } : null;
}

/** WeCom markdown: the `<@userid>` line, or '' when only a phone is known (text is used then). */
export function wecomMarkdownMention(m: RobotMention | null): string {
  return m?.userId ? `\n\n<@${m.userId}>` : '';
}

/** WeCom: with only a phone, a `text` message is the one type that can mention. */
export function wecomUsesText(m: RobotMention | null): m is RobotMention {
  return m !== null && !m.userId && m.mobile !== '';
}

/** DingTalk: the `at` object and the `@…` text it needs in the message itself. */
export function dingtalkMention(m: RobotMention | null): {
  at: { atMobiles: string[]; atUserIds: string[]; isAtAll: false };
  suffix: string;
} | null {
  if (!m) return null;
  const atMobiles = m.mobile ? [m.mobile] : [];
  const atUserIds = m.userId ? [m.userId] : [];
  const suffix = [...atUserIds, ...atMobiles].map((x) => `@${x}`).join(' ');
  return { at: { atMobiles, atUserIds, isAtAll: false }, suffix: `\n\n${suffix}` };
}

/** Feishu card: a `lark_md` div that mentions the open_id; null without one (phones cannot). */
export function feishuMentionElement(m: RobotMention | null): Record<string, unknown> | null {
  if (!m?.userId) return null;
  return { tag: 'div', text: { tag: 'lark_md', content: `<at id=${m.userId}></at>` } };
}
