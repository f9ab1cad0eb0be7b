/**
 * What the voice clouds push back after a call, as their documentation gives it, read into the
 * channel's terms: whether the worker answered, and the keys pressed. Both push JSON to a URL set in
 * their console (README, "Voice calls"), which carries the token from VOICE_URL's `callback=`.
 *
 * Aliyun VoiceReport, HTTP batch push (help.aliyun.com/zh/vms/voicereport-6): a JSON array of
 *   {call_id, status_code, status_msg, b_start_time (empty when not answered), duration (0 when not
 *   answered), dtmf (the keys pressed), out_id, …}; answered {"code":0,"msg":"接收成功"}.
 * Tencent Cloud VMS: the status callback (cloud.tencent.com/document/api/1128/37725)
 *   {"voiceprompt_callback": {callid, result: "0" answered | "1" not answered | "2" call failed, mobile, …}}
 *   and the key press callback (cloud.tencent.com/document/api/1128/37726)
 *   {"voicekey_callback": {callid, keypress, mobile, …}}; answered {"result":0,"errmsg":"OK"}.
 */

/** One report about one call: its outcome when the push says (null: a key press alone), and the keys. */
export interface CallReport {
  callId: string;
  answered: boolean | null;
  detail: string;
  keys: string;
}

type Item = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
const items = (body: unknown): Item[] =>
  (Array.isArray(body) ? body : [body]).filter((x): x is Item => typeof x === 'object' && x !== null);

export function readVoiceCallback(vendor: 'aliyun' | 'tencent', body: unknown): CallReport[] {
  return items(body).flatMap((i): CallReport[] => {
    if (vendor === 'aliyun') {
      const callId = str(i.call_id);
      if (!callId) return [];
      const answered = str(i.b_start_time) !== '' || Number(str(i.duration)) > 0;
      const code = str(i.status_code);
      return [
        {
          callId,
          answered,
          detail: `${answered ? 'answered' : 'not answered'}${code ? ` (${code})` : ''}`,
          keys: str(i.dtmf),
        },
      ];
    }
    const status = i.voiceprompt_callback as Item | undefined;
    if (status && typeof status === 'object') {
      const callId = str(status.callid);
      const result = str(status.result);
      if (!callId) return [];
      const detail =
        result === '0' ? 'answered' : result === '1' ? 'not answered' : `call failed (${result})`;
      return [{ callId, answered: result === '0', detail, keys: '' }];
    }
    const key = i.voicekey_callback as Item | undefined;
    if (key && typeof key === 'object' && str(key.callid))
      return [{ callId: str(key.callid), answered: null, detail: 'key pressed', keys: str(key.keypress) }];
    return [];
  });
}

/** The answer each cloud expects for a push it should not send again. */
export const VOICE_CALLBACK_OK: Record<'aliyun' | 'tencent', Record<string, unknown>> = {
  aliyun: { code: 0, msg: '接收成功' },
  tencent: { result: 0, errmsg: 'OK' },
};

/** The key that acknowledges the alert, as the call's template tells the worker ("按 1 确认"). */
export const ACK_KEY = '1';
