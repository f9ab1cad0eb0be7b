import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceError } from '../core/errors.ts';

/** Which instance runs alerting, when several share one database (storage/postgres/ownerLock.ts). */
export interface AlertingOwner {
  isOwner(): boolean;
  /** The owner's HTTP base URL, or null while no instance owns alerting (a takeover is under way). */
  ownerUrl(): Promise<string | null>;
}

/**
 * The calls answered by the alerting engine, which runs on the owner only: alerts, acknowledge
 * and announce links, the daily report, a sensor's new battery. Any instance takes them (a link in an e-mail points at
 * PUBLIC_URL, the load balancer); the others pass them on.
 */
const OWNER_PATHS = [
  /^\/api\/alerts(?:[/?]|$)/,
  // The wall reads the engine's unresolved alerts.
  /^\/api\/wall(?:\?|$)/,
  // The daily reports: the run, the files (they read the engine's open alerts) and the archive.
  /^\/api\/reports(?:[/?]|$)/,
  /^\/api\/announcements(?:\?|$)/,
  // A new battery re-arms the low-battery alert: the engine's memory of it is the owner's.
  /^\/api\/sensors\/[^/?]+\/battery(?:\?|$)/,
  /^\/api\/households\/[^/?]+\/announce-link(?:\?|$)/,
  // The QR code's page announces through the owner's engine (and its throttle lives there).
  /^\/api\/households\/[^/?]+\/qr(?:\?|$)/,
  /^\/ack\//,
  /^\/announce\//,
  /^\/qr\//,
  // The clouds' SMS receipts and replies: the owner holds the reply codes.
  /^\/api\/sms\//,
  // The voice clouds' call reports: a key press acknowledges through the owner's engine.
  /^\/api\/voice\//,
];

/** Set on a forwarded request: an instance that is not the owner either refuses, never forwards again. */
const FORWARDED = 'x-sealwatch-forwarded';
const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);
const MAX_BODY = 1024 * 1024;

export const isOwnerPath = (url: string): boolean => OWNER_PATHS.some((p) => p.test(url));

/** Forwards alerting calls that reach an instance other than the owner, answer and all. */
export function forwardAlertingCalls(app: FastifyInstance, owner: AlertingOwner): void {
  app.addHook('onRequest', async (request, reply) => {
    if (owner.isOwner() || !isOwnerPath(request.url)) return;
    if (request.headers[FORWARDED] !== undefined) {
      throw new ServiceError('unavailable', 'alerting changed owner while this call was forwarded; retry');
    }
    const base = await owner.ownerUrl();
    if (base === null) {
      reply.header('retry-after', '2');
      throw new ServiceError(
        'unavailable',
        'no instance owns alerting right now (a takeover takes seconds); retry',
      );
    }
    const headers = new Headers({ [FORWARDED]: '1' });
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    let answer: Response;
    try {
      answer = await fetch(new URL(request.url, base), {
        method: request.method,
        headers,
        ...(hasBody ? { body: await rawBody(request) } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new ServiceError('unavailable', 'the alerting owner did not answer; retry', {
        owner: base,
        err: (err as Error).message,
      });
    }
    reply.code(answer.status);
    for (const [name, value] of answer.headers) {
      if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') reply.header(name, value);
    }
    return reply.send(Buffer.from(await answer.arrayBuffer()));
  });
}

/** The request body as it arrived (onRequest runs before Fastify parses it). */
async function rawBody(request: FastifyRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ServiceError('validation', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
