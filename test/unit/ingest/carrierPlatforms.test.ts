/**
 * The carrier platforms' push formats and signatures, as plain values:
 * - OneNET data push, https://open.iot.10086.cn/doc/book/application-develop/httppush/develop-manual.html:
 *   signature = Base64(MD5(token + nonce + msg)); the expected values below were computed outside Node
 *   (Python hashlib/base64), for the guide's own example msg.
 * - CTWing subscription push, https://www.ctwing.cn/dyts/103: dataReport / deviceOnlineOfflineReport.
 */
import { describe, expect, it } from 'vitest';
import { parseCtwingPush, verifyCtwingToken } from '../../../ingest/platforms/ctwingPush.ts';
import { jsonMemberText } from '../../../ingest/platforms/jsonMemberText.ts';
import {
  onenetSignature,
  parseOnenetPush,
  verifyOnenetPush,
  verifyOnenetUrl,
} from '../../../ingest/platforms/onenetPush.ts';
import { decodeSealPayload } from '../../../ingest/platforms/sealPayload.ts';

const GUIDE_MSG = '{"at":1466133706841,"type":1,"ds_id":"datastream_id","value":42,"dev_id":2016617}';

describe('OneNET signature', () => {
  it('is Base64(MD5(token + nonce + msg))', () => {
    expect(onenetSignature('ceshionenet', 'abcdefgh', GUIDE_MSG)).toBe('IF153FtVpF4/a/3DAEFdZQ==');
  });

  it('URL verification echoes msg for the right token; a decoded + (a space) still matches', () => {
    const query = { msg: 'xyz', nonce: '12345678', signature: 'G7I3k8khB54BzOeg6z375g==' };
    expect(verifyOnenetUrl(query, 'ceshionenet')).toEqual({ ok: true, echo: 'xyz' });
    expect(verifyOnenetUrl(query, 'other')).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyOnenetUrl({ msg: 'xyz' }, 'ceshionenet')).toEqual({ ok: false, reason: 'malformed' });
    // Signed HBypJ5zw+x1+zlarojCKjw== (Python); an unescaped '+' in the query arrives as a space.
    const plus = { msg: 'xyz', nonce: '10000000', signature: 'HBypJ5zw x1 zlarojCKjw==' };
    expect(verifyOnenetUrl(plus, 'ceshionenet')).toEqual({ ok: true, echo: 'xyz' });
  });

  it('a push is checked over the msg text as received', () => {
    const raw = `{"msg": ${GUIDE_MSG} ,"msg_signature":"IF153FtVpF4/a/3DAEFdZQ==","nonce":"abcdefgh"}`;
    const push = parseOnenetPush(JSON.parse(raw), raw);
    expect(push.ok && push.signed.msgText).toBe(GUIDE_MSG);
    expect(push.ok && verifyOnenetPush(push.signed, 'ceshionenet')).toBe(true);
    expect(push.ok && verifyOnenetPush(push.signed, 'another')).toBe(false);
    expect(push.ok && push.parsed).toEqual({
      ok: true,
      reports: [{ kind: 'data', deviceId: '2016617', payload: 42 }],
    });
  });

  it('reads online/offline (type 2), a batch, and refuses the encrypted mode', () => {
    const body = {
      msg: [
        { at: 5, login_type: 10, type: 2, dev_id: 7, status: 0 },
        { at: 6, type: 7, dev_id: 7, cmd_id: 'c' },
      ],
      msg_signature: 's',
      nonce: 'n',
    };
    const push = parseOnenetPush(body, undefined);
    expect(push.ok && push.parsed).toEqual({
      ok: true,
      reports: [{ kind: 'status', deviceId: '7', online: false, at: 5 }],
    });
    expect(parseOnenetPush({ enc_msg: 'x', msg_signature: 's', nonce: 'n' }, undefined)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('enc_msg'),
    });
  });
});

describe('CTWing push', () => {
  it('reads dataReport (APPdata or serviceData) and deviceOnlineOfflineReport; ignores other types', () => {
    expect(
      parseCtwingPush({
        messageType: 'dataReport',
        deviceId: 'd1',
        payload: { APPdata: 'e30=' },
        timestamp: 1,
      }),
    ).toEqual({ ok: true, reports: [{ kind: 'data', deviceId: 'd1', payload: 'e30=' }] });
    expect(
      parseCtwingPush({ messageType: 'dataReport', deviceId: 'd1', payload: { serviceData: { a: 1 } } }),
    ).toEqual({ ok: true, reports: [{ kind: 'data', deviceId: 'd1', payload: { a: 1 } }] });
    expect(
      parseCtwingPush({
        messageType: 'deviceOnlineOfflineReport',
        deviceId: 'd1',
        timestamp: 9,
        eventType: 1,
      }),
    ).toEqual({ ok: true, reports: [{ kind: 'status', deviceId: 'd1', online: true, at: 9 }] });
    expect(parseCtwingPush({ messageType: 'commandResponse', deviceId: 'd1' })).toEqual({
      ok: true,
      reports: [],
    });
    expect(parseCtwingPush({ deviceId: 'd1' }).ok).toBe(false);
  });

  it('compares the URL token exactly', () => {
    expect(verifyCtwingToken('abc', 'abc')).toBe(true);
    expect(verifyCtwingToken('abd', 'abc')).toBe(false);
    expect(verifyCtwingToken(undefined, 'abc')).toBe(false);
  });
});

describe('the seal payload inside a push', () => {
  const base = { sensorId: 's1', dialect: 'ctwing' as const, receivedAt: 1000 };
  const open = { type: 'open', ts: 900, seq: 4 };

  it('is the native event or heartbeat, as an object, JSON text or base64 of it', () => {
    const door = { ...base, kind: 'door', door: 'open', ts: 900, seq: 4 };
    expect(decodeSealPayload(open, base)).toEqual({ ok: true, message: door });
    expect(decodeSealPayload(JSON.stringify(open), base)).toEqual({ ok: true, message: door });
    expect(decodeSealPayload(Buffer.from(JSON.stringify(open)).toString('base64'), base)).toEqual({
      ok: true,
      message: door,
    });
    expect(
      decodeSealPayload({ ts: 900, seq: 5, door: 'closed', battery: 80, rssi: -90 }, base),
    ).toMatchObject({
      ok: true,
      message: { kind: 'heartbeat', door: 'closed', battery: 80 },
    });
  });

  it('refuses anything else', () => {
    expect(decodeSealPayload({ type: 'ajar', ts: 1, seq: 1 }, base).ok).toBe(false);
    expect(decodeSealPayload('not json', base).ok).toBe(false);
    expect(decodeSealPayload(42, base).ok).toBe(false);
  });
});

describe('jsonMemberText', () => {
  it('finds a top-level member as written, skipping strings and nested values', () => {
    const text = '{"a":"}\\",{","msg" : [ {"x":"]"} , 2 ] ,"z":{"msg":1}}';
    expect(jsonMemberText(text, 'msg')).toBe('[ {"x":"]"} , 2 ]');
    expect(jsonMemberText(text, 'z')).toBe('{"msg":1}');
    expect(jsonMemberText('{"msg":12.50}', 'msg')).toBe('12.50');
    expect(jsonMemberText(text, 'none')).toBeUndefined();
    expect(jsonMemberText('[1]', 'msg')).toBeUndefined();
  });
});
