/**
 * TEST DOUBLE of the carrier IoT platforms' HTTP push: it plays, over real HTTP, the messages and
 * signatures China Telecom CTWing and China Mobile OneNET send to an application server, as their
 * documentation describes them. It is not the platforms: it sends what their pages say they send.
 *
 * - CTWing (AEP) subscription push, https://www.ctwing.cn/dyts/103 (订阅推送): one JSON message per
 *   POST; `dataReport` with `payload.APPdata` = base64 of the device's bytes, and
 *   `deviceOnlineOfflineReport` with `eventType` 1 (online) / 0 (offline). No signature scheme was
 *   found in its documentation: the token rides in the URL we give CTWing (`?token=`).
 * - OneNET data push (数据推送),
 *   https://open.iot.10086.cn/doc/book/application-develop/httppush/develop-manual.html and
 *   https://open.iot.10086.cn/doc/nb-iot/book/manual/httppush/develop-manual.html: the URL check
 *   `GET url?msg=&nonce=&signature=` (answer: msg), and POST bodies
 *   `{"msg":…,"msg_signature":"…","nonce":"…"}` with msg type 1 (datapoint: dev_id, ds_id, at,
 *   value) or 2 (online/offline: dev_id, status 1/0, login_type 10 = NB-IoT, at), signed
 *   Base64(MD5(token + nonce + msg)) with an 8-character nonce.
 *
 * The signature is computed here on its own (node:crypto), not with the service's code, so a mistake
 * in the service's check cannot hide behind the same mistake in the test.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface PushAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
  body: any;
}

async function send(url: string, init: RequestInit): Promise<PushAnswer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a text answer (OneNET's echo) stays text
  }
  return { status: res.status, body };
}

/**
 * Both platforms retry a push that did not get HTTP 200 (CTWing up to 3 times; OneNET "会认为此次推送
 * 无效并重试") with the same message: retry() sends the last push again, byte for byte.
 */
class Pusher {
  private last: { url: string; text: string } | null = null;

  post(url: string, text: string): Promise<PushAnswer> {
    this.last = { url, text };
    return send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
  }

  retry(): Promise<PushAnswer> {
    if (!this.last) throw new Error('nothing was pushed yet');
    return this.post(this.last.url, this.last.text);
  }
}

/** China Telecom CTWing's subscription push, for one application (product) of ours. */
export class CtwingPlatformDouble extends Pusher {
  constructor(
    private readonly httpUrl: string,
    private readonly appId: string,
    private readonly token: string,
    private readonly ids = { tenantId: '10461180', productId: '15000001' },
  ) {
    super();
  }

  private url(token = this.token): string {
    return `${this.httpUrl}/api/ingest/ctwing/${this.appId}?token=${encodeURIComponent(token)}`;
  }

  /** A transparent (透传) product's data report: the device's bytes as base64 in APPdata. */
  dataReport(deviceId: string, devicePayload: object, options: { token?: string; timestamp?: number } = {}) {
    const message = {
      upPacketSN: -1,
      upDataSN: -1,
      topic: 'v1/up/ad',
      timestamp: options.timestamp ?? Date.now(),
      tenantId: this.ids.tenantId,
      serviceId: '',
      protocol: 'lwm2m',
      productId: this.ids.productId,
      payload: { APPdata: Buffer.from(JSON.stringify(devicePayload)).toString('base64') },
      messageType: 'dataReport',
      deviceType: '',
      deviceId,
      assocAssetId: '',
      IMSI: 'undefined',
      IMEI: '869000000000001',
    };
    return this.post(this.url(options.token), JSON.stringify(message));
  }

  onlineOffline(deviceId: string, online: boolean, timestamp: number) {
    const message = {
      timestamp,
      tenantId: this.ids.tenantId,
      protocol: 'lwm2m',
      productId: this.ids.productId,
      messageType: 'deviceOnlineOfflineReport',
      iccid: 'undefined',
      eventType: online ? 1 : 0,
      deviceId,
    };
    return this.post(this.url(), JSON.stringify(message));
  }

  /** Anything else in the push's shape (for malformed pushes). */
  raw(text: string) {
    return this.post(this.url(), text);
  }
}

/** Base64(MD5(token + nonce + msg)), as OneNET's guide gives it. */
export const onenetSign = (token: string, nonce: string, msg: string): string =>
  createHash('md5')
    .update(token + nonce + msg, 'utf8')
    .digest('base64');

/** An 8-character nonce, as OneNET's SDK reads it. */
const nonce8 = (): string => randomBytes(6).toString('base64').replace(/[+/]/g, 'x');

/** China Mobile OneNET's HTTP push, for one push configuration (token) of ours. */
export class OnenetPlatformDouble extends Pusher {
  constructor(
    private readonly httpUrl: string,
    private readonly appId: string,
    private readonly token: string,
  ) {
    super();
  }

  private get url(): string {
    return `${this.httpUrl}/api/ingest/onenet/${this.appId}`;
  }

  /** The URL check OneNET makes when the push is saved; it expects msg back. */
  verifyUrl(options: { token?: string } = {}) {
    const msg = randomBytes(8).toString('hex');
    const nonce = nonce8();
    const signature = onenetSign(options.token ?? this.token, nonce, msg);
    const query = new URLSearchParams({ msg, nonce, signature });
    return { msg, answer: send(`${this.url}?${query}`, { method: 'GET' }) };
  }

  /**
   * Signs msg's text as it goes on the wire. `spaced` writes it with spaces, as a platform's JSON
   * writer may: the service must check the text it received, not its own re-serialization.
   */
  private push(msg: object | object[], options: { token?: string; spaced?: boolean; nonce?: string } = {}) {
    const msgText = options.spaced ? JSON.stringify(msg, null, 1) : JSON.stringify(msg);
    const nonce = options.nonce ?? nonce8();
    const signature = onenetSign(options.token ?? this.token, nonce, msgText);
    return this.post(
      this.url,
      `{"msg":${msgText},"msg_signature":${JSON.stringify(signature)},"nonce":${JSON.stringify(nonce)}}`,
    );
  }

  /** Type 1: a datapoint whose value is the seal's own JSON (an NB-IoT seal writing a string resource). */
  datapoint(
    devId: number,
    devicePayload: object,
    options: { token?: string; spaced?: boolean; nonce?: string; at?: number } = {},
  ) {
    const msg = {
      at: options.at ?? Date.now(),
      type: 1,
      ds_id: '3200_0_5750',
      value: JSON.stringify(devicePayload),
      dev_id: devId,
    };
    return this.push(msg, options);
  }

  /** Type 2: the device went online (status 1) or offline (0); login_type 10 is NB-IoT. */
  onlineOffline(devId: number, online: boolean, at: number) {
    return this.push({ at, login_type: 10, type: 2, dev_id: devId, status: online ? 1 : 0 });
  }
}
