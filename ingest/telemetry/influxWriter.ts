import { HttpError, InfluxDB, type SendOptions, type Transport } from '@influxdata/influxdb-client';

/**
 * One HTTP write of a line-protocol body, classified for the sender. Built on
 * the official client's transport (not its WriteApi, whose own in-memory
 * buffer and retries would hide failures from our spool).
 */
export type WriteOutcome =
  | { kind: 'ok' }
  /** Server down, timeout, 5xx, 429, or a configuration problem: keep the points, retry later. */
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  /** The server refused the points as bad (400/422): split to find the bad ones. */
  | { kind: 'badRequest'; status: number; message: string }
  /** The body is too large (413): split. */
  | { kind: 'tooLarge' };

export interface LineWriter {
  readonly target: string;
  /** `body`: lines of line protocol in UTF-8, separated by newlines. */
  write(body: Buffer, signal: AbortSignal): Promise<WriteOutcome>;
}

export interface InfluxTarget {
  url: string;
  api: 'v1' | 'v2';
  token?: string | undefined;
  org?: string | undefined;
  bucket?: string | undefined;
  db?: string | undefined;
  rp?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  timeoutMs?: number;
}

export function createInfluxWriter(target: InfluxTarget): LineWriter {
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  let writePath: string;
  let token: string | undefined;
  if (target.api === 'v2') {
    const query = new URLSearchParams({
      org: target.org ?? '',
      bucket: target.bucket ?? '',
      precision: 'ms',
    });
    writePath = `/api/v2/write?${query}`;
    token = target.token;
  } else {
    const query = new URLSearchParams({ db: target.db ?? '', precision: 'ms' });
    if (target.rp) query.set('rp', target.rp);
    writePath = `/write?${query}`;
    // Basic auth keeps the password out of URLs, which proxies and servers log.
    if (target.username !== undefined || target.password !== undefined) {
      const credentials = Buffer.from(`${target.username ?? ''}:${target.password ?? ''}`).toString('base64');
      headers.authorization = `Basic ${credentials}`;
    }
  }
  const transport: Transport = new InfluxDB({
    url: target.url,
    ...(token ? { token } : {}),
    timeout: target.timeoutMs ?? 10_000,
  }).transport;
  const where = target.api === 'v2' ? `bucket ${target.bucket ?? ''}` : `db ${target.db ?? ''}`;

  return {
    target: `${redactUrl(target.url)} (${target.api}, ${where})`,
    async write(body, signal) {
      try {
        await post(transport, writePath, body, { method: 'POST', headers, signal });
        return { kind: 'ok' };
      } catch (error) {
        return classify(error);
      }
    },
  };
}

/**
 * `transport.send` with a promise: `transport.request` takes only a string (anything else it sends
 * as JSON), while `send` copies a Buffer as it is (`createRequestMessage`: `Buffer.from(body)`), and
 * the spool keeps its lines as bytes (spool.ts, MemoryChunk). Rejects with the transport's own
 * errors (HttpError for a status of 300 or more), as `request` does.
 */
function post(transport: Transport, path: string, body: Buffer, options: SendOptions): Promise<void> {
  return new Promise((resolve, reject) =>
    // The client's types say string; its Node transport turns the body into a Buffer either way.
    transport.send(path, body as unknown as string, options, { error: reject, complete: () => resolve() }),
  );
}

function classify(error: unknown): WriteOutcome {
  if (error instanceof HttpError) {
    const status = error.statusCode;
    const message = (error.body ?? error.message).slice(0, 500);
    if (status === 400 || status === 422) return { kind: 'badRequest', status, message };
    if (status === 413) return { kind: 'tooLarge' };
    const retryAfterMs = parseRetryAfter(error.headers?.['retry-after']);
    return {
      kind: 'retry',
      status,
      reason: `HTTP ${status}: ${message}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'retry', reason: code ? `${code}: ${message}` : message };
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.origin + parsed.pathname.replace(/\/$/, '');
  } catch {
    return '(invalid url)';
  }
}
