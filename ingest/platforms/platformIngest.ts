/**
 * From a carrier platform's HTTP push to durable acceptance, the HTTP twin of messageHandler.ts:
 * find the platform application named in the URL, check the platform's signature or token with the
 * application's token, read the push, map each platform device to the sensor it speaks for, then hand
 * every message to the same pipeline the MQTT messages go through and wait for its commit. The HTTP
 * answer (200) goes only after that commit, as the PUBACK does: a push we did not commit gets an
 * error, and the platform's retry is our redelivery; a retry of a committed push is a duplicate
 * (same seq and device time, or for online/offline the same platform time) and changes nothing.
 *
 * A push is taken whole or refused whole: every report is checked before any is accepted, so a
 * refused push (4xx) changes nothing. Every push is counted by platform and result.
 */
import type { Clock } from '../../core/clock.ts';
import { type ErrorCode, ServiceError } from '../../core/errors.ts';
import type { EventBus } from '../../core/eventBus.ts';
import type { ServiceEvents } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import { keyedLogThrottle } from '../../core/logThrottle.ts';
import type { SealMessage } from '../../core/sealMessage.ts';
import { type Platform, type PlatformAppRow, sensorForDevice } from '../../registry/platformAppSchemas.ts';
import type { Registry } from '../../registry/registry.ts';
import { clampTimestamp } from '../clampTimestamp.ts';
import type { IngestPipeline, Placement } from '../ingestPipeline.ts';
import { parseCtwingPush, verifyCtwingToken } from './ctwingPush.ts';
import { parseOnenetPush, verifyOnenetPush, verifyOnenetUrl } from './onenetPush.ts';
import type { PlatformReport } from './platformReport.ts';
import { decodeSealPayload } from './sealPayload.ts';

/** Marks in `seq` for a platform's online/offline event (see core/sealMessage.ts): never a device's uint32. */
const OFFLINE_MARK = -1;
const ONLINE_MARK = -2;

export type PushResult =
  | 'accepted'
  | 'verified'
  | 'unknown_app'
  | 'bad_signature'
  | 'unknown_device'
  | 'malformed'
  | 'unavailable'
  /** The commit failed: the API answers 500 and the platform retries. */
  | 'commit_failed';

/** How each refusal is answered (api/errorHandler.ts maps the codes to 503, 404, 401, 403, 400). */
const REFUSAL_CODES = {
  unavailable: 'unavailable',
  unknown_app: 'not_found',
  bad_signature: 'unauthorized',
  unknown_device: 'forbidden',
  malformed: 'validation',
} as const satisfies Record<Exclude<PushResult, 'accepted' | 'verified' | 'commit_failed'>, ErrorCode>;

export interface PlatformIngest {
  /** CTWing's push; `token` is the URL's token query parameter. */
  ctwing(appId: string, body: unknown, token: unknown): Promise<{ accepted: number }>;
  /** OneNET's push; `rawBody` is the request body as received, for the signature. */
  onenet(appId: string, body: unknown, rawBody: string | undefined): Promise<{ accepted: number }>;
  /** OneNET's URL verification: the msg to echo. */
  onenetVerify(appId: string, query: Record<string, unknown>): string;
}

export function createPlatformIngest(deps: {
  registry: Registry;
  pipeline: IngestPipeline;
  bus: EventBus<ServiceEvents>;
  clock: Clock;
  logger: Logger;
  /** False while the service is starting or stopping: the platform is told to retry (503). */
  accepting: () => boolean;
}): PlatformIngest {
  const { registry, pipeline, bus, clock } = deps;
  const throttled = keyedLogThrottle(10_000, 5, clock);

  const counted = (platform: Platform, result: PushResult): void =>
    bus.emit('platform.push', { platform, result });

  /** Counts the refusal and throws the ServiceError the API answers with. */
  const refuse = (
    platform: Platform,
    appId: string,
    result: Exclude<PushResult, 'accepted' | 'verified' | 'commit_failed'>,
    detail: string,
  ): never => {
    counted(platform, result);
    // Never the token, nor the body: the app, the result and what was wrong.
    throttled(`platform:${platform}:${result}`, (suppressed) =>
      deps.logger.warn(
        { platform, appId, result, detail, ...(suppressed > 0 ? { suppressed } : {}) },
        'platform push refused',
      ),
    );
    throw new ServiceError(REFUSAL_CODES[result], `${platform} push refused: ${detail}`, {
      platform,
      appId,
      result,
    });
  };

  const appFor = (platform: Platform, appId: string): PlatformAppRow => {
    if (!deps.accepting()) refuse(platform, appId, 'unavailable', 'the service is starting or stopping');
    const app = registry.platformAppRow(appId);
    // An application of the other platform is as unknown here as no application.
    if (!app || app.platform !== platform)
      return refuse(platform, appId, 'unknown_app', `no ${platform} application '${appId}'`);
    return app;
  };

  /** Every report checked first; then all accepted, and the answer waits for their commit. */
  const deliver = async (app: PlatformAppRow, reports: PlatformReport[]): Promise<{ accepted: number }> => {
    const platform = app.platform;
    const receivedAt = clock.now();
    const ready: { message: SealMessage; placement: Placement }[] = [];
    for (const report of reports) {
      const sensorId = sensorForDevice(app, report.deviceId);
      const placement = sensorId === undefined ? undefined : registry.placement(sensorId);
      if (sensorId === undefined || !placement)
        return refuse(
          platform,
          app.id,
          'unknown_device',
          `device '${report.deviceId}' is not one of this application's sensors`,
        );
      const base = { sensorId, dialect: platform, receivedAt };
      let message: SealMessage;
      if (report.kind === 'status') {
        message = {
          ...base,
          kind: 'status',
          online: report.online,
          ts: report.at,
          seq: report.online ? ONLINE_MARK : OFFLINE_MARK,
        };
      } else {
        const decoded = decodeSealPayload(report.payload, base);
        if (!decoded.ok)
          return refuse(platform, app.id, 'malformed', `device '${report.deviceId}': ${decoded.detail}`);
        message = decoded.message;
      }
      const clamped = clampTimestamp(message.ts, receivedAt);
      ready.push({
        message: { ...message, ts: clamped.ts, deviceTs: message.ts },
        placement,
      });
    }
    try {
      await Promise.all(ready.map((r) => pipeline.accept(r.message, r.placement)));
    } catch (err) {
      // Not taken: the error answer (500) makes the platform send it again.
      counted(platform, 'commit_failed');
      throw err;
    }
    counted(platform, 'accepted');
    return { accepted: ready.length };
  };

  return {
    async ctwing(appId, body, token) {
      const app = appFor('ctwing', appId);
      if (!verifyCtwingToken(token, app.token))
        refuse('ctwing', appId, 'bad_signature', 'wrong or missing token');
      const parsed = parseCtwingPush(body);
      if (!parsed.ok) return refuse('ctwing', appId, 'malformed', parsed.detail);
      return deliver(app, parsed.reports);
    },

    async onenet(appId, body, rawBody) {
      const app = appFor('onenet', appId);
      const push = parseOnenetPush(body, rawBody);
      if (!push.ok) return refuse('onenet', appId, 'malformed', push.detail);
      // The signature before the content: an unsigned push tells nothing about what is wrong in it.
      if (!verifyOnenetPush(push.signed, app.token))
        refuse('onenet', appId, 'bad_signature', 'msg_signature does not match');
      if (!push.parsed.ok) return refuse('onenet', appId, 'malformed', push.parsed.detail);
      return deliver(app, push.parsed.reports);
    },

    onenetVerify(appId, query) {
      const app = appFor('onenet', appId);
      const checked = verifyOnenetUrl(query, app.token);
      if (!checked.ok) return refuse('onenet', appId, checked.reason, 'URL verification failed');
      counted('onenet', 'verified');
      return checked.echo;
    },
  };
}
