/**
 * A stand-in DOUBLE of the alerts API (GET /api/alerts, POST /api/alerts/:id/ack|resolve), routed
 * inside one browser page with Playwright. It exists because the real alerts API is being built
 * in parallel: it lets the page's side of the SPEC contract (ordering, rendering, the requests it
 * sends) be tested and screenshotted now. Everything else the page calls goes to the real service.
 */
import type { Page } from 'playwright-core';

const MIN = 60_000;
export const ALERTS_DOUBLE = [
  {
    id: 'a-low',
    type: 'lowBattery',
    severity: 'maintenance',
    sensorId: 's-xss',
    householdId: 'h-s-xss',
    address: '<img src=x onerror=alert(1)>',
    gridId: 'dongcun',
    ageMs: 2 * 24 * 60 * MIN,
    count: 1,
    status: 'open',
    assignee: null,
  },
  {
    id: 'a-offline',
    type: 'offline',
    severity: 'warning',
    sensorId: 's-4',
    householdId: 'h-s-4',
    address: '里村镇南街 7 号',
    gridId: 'nanjie',
    ageMs: 60 * MIN,
    count: 1,
    status: 'open',
    assignee: 'w-li',
  },
  {
    id: 'a-breach',
    type: 'breach',
    severity: 'critical',
    sensorId: 's-1',
    householdId: 'h-s-1',
    gridId: 'dongcun',
    ageMs: 7.5 * MIN,
    count: 3,
    status: 'open',
    assignee: 'w-wang',
  },
  {
    id: 'a-outage',
    type: 'outage',
    severity: 'critical',
    gridId: 'nanjie',
    ageMs: 3 * MIN,
    count: 1,
    status: 'open',
    assignee: 'l-zhao',
  },
  {
    id: 'a-breach-acked',
    type: 'breach',
    severity: 'critical',
    sensorId: 's-2',
    householdId: 'h-s-2',
    address: '史村镇东村三组 14 号',
    gridId: 'dongcun',
    ageMs: 20 * MIN,
    count: 1,
    status: 'acknowledged',
    assignee: 'w-wang',
  },
  {
    id: 'a-tamper-old',
    type: 'tamper',
    severity: 'critical',
    sensorId: 's-3',
    householdId: 'h-s-3',
    address: '里村镇南街 5 号',
    gridId: 'nanjie',
    ageMs: 40 * MIN,
    count: 2,
    status: 'open',
    assignee: 'w-li',
  },
] as const;

export interface AlertsDouble {
  posts: Array<{ path: string; body: unknown }>;
}

export async function routeAlertsDouble(page: Page): Promise<AlertsDouble> {
  const now = Date.now();
  const alerts = new Map<string, Record<string, unknown>>(
    ALERTS_DOUBLE.map(({ ageMs, ...a }) => [a.id, { ...a, openedAt: new Date(now - ageMs).toISOString() }]),
  );
  const double: AlertsDouble = { posts: [] };
  await page.route('**/api/alerts**', async (route) => {
    const request = route.request();
    const url = new URL(request.url());
    const json = (status: number, body: unknown) =>
      route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
    if (request.method() === 'GET' && url.pathname === '/api/alerts') {
      const status = url.searchParams.get('status');
      return json(
        200,
        [...alerts.values()].filter((a) => a.status === status),
      );
    }
    const match = /^\/api\/alerts\/([^/]+)\/(ack|resolve)$/.exec(url.pathname);
    if (request.method() === 'POST' && match) {
      const body = request.postDataJSON() as Record<string, unknown>;
      double.posts.push({ path: url.pathname, body });
      const alert = alerts.get(decodeURIComponent(match[1] as string));
      if (!alert) return json(404, { error: { code: 'not_found', message: 'no such alert' } });
      if (match[2] === 'ack') {
        Object.assign(alert, { status: 'acknowledged', ackedAt: new Date().toISOString() });
      } else {
        if (typeof body.note !== 'string' || !body.note.trim())
          return json(400, { error: { code: 'validation', message: 'note is required' } });
        Object.assign(alert, { status: 'resolved', outcome: body.outcome, note: body.note });
      }
      return json(200, alert);
    }
    return json(404, { error: { code: 'not_found', message: `double has no ${url.pathname}` } });
  });
  return double;
}
