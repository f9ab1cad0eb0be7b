/** A person calling the API as the page does: the session cookie, and the Origin of the service's own page. */
import type { RunningService } from './service.ts';

export interface PersonAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
  body: any;
  text: string;
  headers: Headers;
}

/** One browser-like caller: keeps the session cookie, sends Origin like a page of the service. */
export function person(svc: Pick<RunningService, 'httpUrl'>) {
  let cookie: string | null = null;
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string | null> = {},
  ): Promise<PersonAnswer> => {
    const headers: Record<string, string> = { origin: svc.httpUrl };
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    for (const [k, v] of Object.entries(extra)) {
      if (v === null) delete headers[k];
      else headers[k] = v;
    }
    const res = await fetch(`${svc.httpUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) cookie = setCookie.split(';')[0] ?? null;
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, text, headers: res.headers };
  };
  return {
    call,
    signIn: (username: string, password: string) => call('POST', '/api/session', { username, password }),
    get cookie() {
      return cookie;
    },
    set cookie(value: string | null) {
      cookie = value;
    },
  };
}
