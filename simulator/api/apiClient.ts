/**
 * The simulator's HTTP client for SealWatch's JSON API. Only the SPEC's fixed points are relied upon; the token
 * travels in the Authorization header and never appears in messages.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
}

export class ApiClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    okStatuses: readonly number[] = [200, 201],
  ): Promise<T> {
    let response: Response;
    const init: RequestInit = {
      method,
      headers: {
        authorization: `Bearer ${this.#token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      signal: AbortSignal.timeout(this.#timeoutMs),
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    try {
      response = await fetch(`${this.baseUrl}${path}`, init);
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new ApiError(
        `${method} ${path} failed: cannot reach ${this.baseUrl} (${cause})`,
        0,
        'unreachable',
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!okStatuses.includes(response.status)) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      const detail = error?.message ?? (typeof parsed === 'string' ? parsed.slice(0, 200) : '');
      throw new ApiError(
        `${method} ${path} answered ${response.status}${error?.code ? ` ${error.code}` : ''}${detail ? `: ${detail}` : ''}`,
        response.status,
        error?.code,
      );
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown, okStatuses?: readonly number[]): Promise<T> {
    return this.request<T>('POST', path, body, okStatuses);
  }

  delete<T>(path: string, okStatuses: readonly number[] = [200, 204]): Promise<T> {
    return this.request<T>('DELETE', path, undefined, okStatuses);
  }
}
