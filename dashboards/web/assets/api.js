/** An API answer that was not 2xx (status 0: the network failed). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The header a state-changing call signed in by the session cookie carries (CSRF defence). */
const CSRF_HEADER = 'x-csrf-token';

/**
 * The JSON API behind the page. A person signed in with a user name has the session cookie (the
 * browser sends it; scripts never see it) and the CSRF token of GET /api/me, sent with every call
 * that changes something. A pasted token (machines, the wall screen of old) goes as a bearer header.
 */
export function createApi(getToken, getCsrfToken = () => null) {
  /** `contentType` other than JSON sends `body` as it is (a CSV file); `total` also answers x-total-count. */
  async function request(method, path, body, { contentType = 'application/json', total = false } = {}) {
    const headers = { accept: 'application/json' };
    const token = getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    const csrf = getCsrfToken();
    if (!token && csrf && method !== 'GET') headers[CSRF_HEADER] = csrf;
    if (body !== undefined) headers['content-type'] = contentType;
    const sent = body === undefined || contentType !== 'application/json' ? body : JSON.stringify(body);
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: sent,
        cache: 'no-store',
        // The page's own policy is no-referrer, under which a browser sends `Origin: null` even to
        // its own server; the server's CSRF check needs the real origin (same-origin sends it, and
        // still nothing to other sites).
        referrerPolicy: 'same-origin',
        credentials: 'same-origin',
      });
    } catch (err) {
      throw new ApiError(0, 'network', String(err?.message ?? err));
    }
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a proxy's error page): the status says enough.
    }
    if (!res.ok) {
      const error = new ApiError(
        res.status,
        json?.error?.code ?? 'http',
        json?.error?.message ?? res.statusText,
      );
      error.retryAfter = Number(res.headers.get('retry-after')) || null;
      // Which fields or rows were refused ({path, message} or a CSV's {line, column, message}).
      error.details = json?.error?.details ?? null;
      throw error;
    }
    return total ? { items: json, total: Number(res.headers.get('x-total-count')) } : json;
  }

  const id = (value) => encodeURIComponent(value);
  // The alert list is an array by contract; a paginated { items } answer is read the same way.
  const listOf = (answer) =>
    Array.isArray(answer) ? answer : Array.isArray(answer?.items) ? answer.items : [];

  return {
    /** Any call of the API, for pages that drive many routes from one description (the admin's). */
    call: request,
    me: () => request('GET', '/api/me'),
    signIn: (username, password) => request('POST', '/api/session', { username, password }),
    signOut: () => request('DELETE', '/api/session'),
    overview: () => request('GET', '/api/overview'),
    wall: (gridId) => request('GET', gridId ? `/api/wall?gridId=${id(gridId)}` : '/api/wall'),
    seals: (gridId) => request('GET', `/api/seals?gridId=${id(gridId)}&limit=1000`),
    seal: (sensorId) => request('GET', `/api/seals/${id(sensorId)}`),
    history: (sensorId) => request('GET', `/api/seals/${id(sensorId)}/history?limit=50`),
    workers: () => request('GET', '/api/workers?limit=1000'),
    duty: (gridId) => request('GET', `/api/grid/${id(gridId)}/duty`),
    alerts: async (status) => listOf(await request('GET', `/api/alerts?status=${id(status)}`)),
    ack: (alertId) => request('POST', `/api/alerts/${id(alertId)}/ack`, {}),
    resolve: (alertId, outcome, note) =>
      request('POST', `/api/alerts/${id(alertId)}/resolve`, { outcome, note }),
  };
}
