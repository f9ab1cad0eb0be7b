/**
 * China Mobile OneNET HTTP push (数据推送), as its developer guide describes it:
 * https://open.iot.10086.cn/doc/book/application-develop/httppush/develop-manual.html (multi-protocol)
 * and https://open.iot.10086.cn/doc/nb-iot/book/manual/httppush/develop-manual.html (NB-IoT suite).
 *
 * URL verification: when the push is configured, OneNET sends
 *   GET <url>?msg=xxx&nonce=xxx&signature=xxx
 * and the application checks that signature = Base64(MD5(token + nonce + msg)) (the token being the
 * one typed into OneNET's push page) and answers the msg value as the body.
 *
 * Data: POST with the JSON body {"msg":…,"msg_signature":"…","nonce":"…"} (plaintext mode; the
 * encrypted mode's `enc_msg` is not supported and refused), msg_signature = Base64(MD5(token + nonce
 * + msg)) over the msg text. msg is one message or an array of them:
 *   type 1 (datapoint)      {"type":1,"dev_id":<int>,"ds_id":"…","at":<ms>,"value":…}
 *   type 2 (online/offline) {"type":2,"dev_id":<int>,"status":1|0,"login_type":10,"at":<ms>}
 *   type 7 (command result, NB only): taken and ignored.
 * The platform retries unless it gets HTTP 200. OneNET's own SDK (OneNET push SDK, Util.checkSignature
 * / checkToken, quoted in public receivers) computes the same MD5 over token + 8-byte nonce + msg and
 * turns the spaces of a URL-decoded signature back into '+', as done here.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { jsonMemberText } from './jsonMemberText.ts';
import type { ParsedPush, PlatformReport } from './platformReport.ts';

/** Base64(MD5(token + nonce + msg)), the one signature OneNET uses for both the check and the data. */
export function onenetSignature(token: string, nonce: string, msg: string): string {
  return createHash('md5').update(`${token}${nonce}${msg}`, 'utf8').digest('base64');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The verification GET's query; answers the msg to echo, or null when the signature is wrong. */
export function verifyOnenetUrl(
  query: { msg?: unknown; nonce?: unknown; signature?: unknown },
  token: string,
): { ok: true; echo: string } | { ok: false; reason: 'malformed' | 'bad_signature' } {
  const { msg, nonce, signature } = query;
  if (typeof msg !== 'string' || typeof nonce !== 'string' || typeof signature !== 'string')
    return { ok: false, reason: 'malformed' };
  // A '+' in an unescaped query becomes a space when decoded.
  const given = signature.replaceAll(' ', '+');
  return sameText(given, onenetSignature(token, nonce, msg))
    ? { ok: true, echo: msg }
    : { ok: false, reason: 'bad_signature' };
}

const envelope = z.looseObject({
  msg: z.unknown(),
  msg_signature: z.string().min(1).max(256),
  nonce: z.string().min(1).max(64),
});

const devId = z.union([z.number().int(), z.string().min(1).max(128)]).transform(String);
const datapoint = z.looseObject({ type: z.literal(1), dev_id: devId, value: z.unknown() });
const onlineOffline = z.looseObject({
  type: z.literal(2),
  dev_id: devId,
  status: z.union([z.literal(0), z.literal(1)]),
  at: z.number().int().min(0),
});
const anyMessage = z.looseObject({ type: z.number() });

/** The signed envelope: the msg text the signature covers and the messages in it. */
export function parseOnenetPush(
  body: unknown,
  rawBody: string | undefined,
):
  | { ok: true; signed: { msgText: string; nonce: string; signature: string }; parsed: ParsedPush }
  | { ok: false; detail: string } {
  const env = envelope.safeParse(body);
  if (!env.success || env.data.msg === undefined) {
    const encrypted = typeof body === 'object' && body !== null && 'enc_msg' in body;
    return {
      ok: false,
      detail: encrypted
        ? 'encrypted pushes (enc_msg) are not supported: choose plaintext (明文) in OneNET'
        : 'not a OneNET push: needs msg, msg_signature and nonce',
    };
  }
  // The signature covers the msg as OneNET wrote it; without the raw body, its re-serialization.
  const msgText = (rawBody && jsonMemberText(rawBody, 'msg')) ?? JSON.stringify(env.data.msg);
  const signed = { msgText, nonce: env.data.nonce, signature: env.data.msg_signature };
  const list = Array.isArray(env.data.msg) ? env.data.msg : [env.data.msg];
  const reports: PlatformReport[] = [];
  for (const item of list) {
    const kind = anyMessage.safeParse(item);
    if (!kind.success)
      return { ok: true, signed, parsed: { ok: false, detail: 'a msg without a numeric type' } };
    if (kind.data.type === 1) {
      const m = datapoint.safeParse(item);
      if (!m.success)
        return { ok: true, signed, parsed: { ok: false, detail: 'a type 1 msg without dev_id or value' } };
      reports.push({ kind: 'data', deviceId: m.data.dev_id, payload: m.data.value });
    } else if (kind.data.type === 2) {
      const m = onlineOffline.safeParse(item);
      if (!m.success)
        return {
          ok: true,
          signed,
          parsed: { ok: false, detail: 'a type 2 msg without dev_id, status or at' },
        };
      reports.push({ kind: 'status', deviceId: m.data.dev_id, online: m.data.status === 1, at: m.data.at });
    }
  }
  return { ok: true, signed, parsed: { ok: true, reports } };
}

export function verifyOnenetPush(
  signed: { msgText: string; nonce: string; signature: string },
  token: string,
): boolean {
  return sameText(signed.signature, onenetSignature(token, signed.nonce, signed.msgText));
}
