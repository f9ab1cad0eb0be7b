/** An API answer that was not 2xx (status 0: the network failed). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The JSON API behind the page, with the token the person signed in with. */
export function createApi(getToken) {
  async function request(method, path, body) {
    const headers = { authorization: `Bearer ${getToken()}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
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
      throw new ApiError(res.status, json?.error?.code ?? 'http', json?.error?.message ?? res.statusText);
    }
    return json;
  }

  const id = (value) => encodeURIComponent(value);
  // The alert list is an array by contract; a paginated { items } answer is read the same way.
  const listOf = (answer) =>
    Array.isArray(answer) ? answer : Array.isArray(answer?.items) ? answer.items : [];

  return {
    overview: () => request('GET', '/api/overview'),
    seals: (gridId) => request('GET', `/api/seals?gridId=${id(gridId)}&limit=1000`),
    seal: (sensorId) => request('GET', `/api/seals/${id(sensorId)}`),
    history: (sensorId) => request('GET', `/api/seals/${id(sensorId)}/history?limit=50`),
    workers: () => request('GET', '/api/workers?limit=1000'),
    alerts: async (status) => listOf(await request('GET', `/api/alerts?status=${id(status)}`)),
    ack: (alertId) => request('POST', `/api/alerts/${id(alertId)}/ack`, {}),
    resolve: (alertId, outcome, note) =>
      request('POST', `/api/alerts/${id(alertId)}/resolve`, { outcome, note }),
  };
}
