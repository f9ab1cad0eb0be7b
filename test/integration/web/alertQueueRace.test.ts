/**
 * The live page's alert queue when its first alert list and the event stream cross: the list is
 * fetched before a breach, answers after the breach's alert event has reached the page. The breach
 * must stay in the queue. (The page used to start a second load on that event; when the first,
 * stale answer came last, it replaced the queue and the breach vanished from the monitor's screen.
 * CI's page test failed on it once: the row appeared, then was gone.)
 */
import type { MqttClient } from 'mqtt';
import type { Browser, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage } from '../../helpers/browser.ts';
import { creating } from '../../helpers/created.ts';
import { connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';
import { openEventStream } from '../../helpers/sse.ts';

describe('live page: an alert list that answers after the alert event', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;
  let sensor: MqttClient;

  beforeAll(async () => {
    svc = await startService();
    browser = await launchBrowser();
    const post = creating(svc);
    await post('/api/grid', { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' });
    await post('/api/grid', { id: 'dongcun', name: '东村', parentId: 'quwo', level: 'village' });
    await post('/api/workers', { id: 'w-wang', name: '王小明', gridId: 'dongcun', role: 'worker' });
    await post('/api/households', { id: 'h-1', gridId: 'dongcun', address: '史村镇东村三组 14 号' });
    await post('/api/quarantines', {
      householdId: 'h-1',
      start: new Date(Date.now() - 3_600_000).toISOString(),
    });
    const { secret } = await post('/api/sensors', { id: 's-1', householdId: 'h-1' });
    sensor = await connectSensor(svc.mqttUrl, 's-1', secret);
    await sensor.publishAsync('seal/s-1/heartbeat', heartbeatPayload(1, 'closed', 90), { qos: 1 });
  });
  afterAll(async () => {
    await sensor?.endAsync().catch(() => {});
    await browser?.close();
    await svc?.cleanup();
  });

  it('keeps a breach whose event arrived while the first list was on its way', async () => {
    const { page, problems, context } = await openPage(browser, {
      viewport: { width: 1920, height: 1080 },
      locale: 'zh-CN',
    });
    // The page's first two list requests (open, acknowledged) are answered from the server at once,
    // before the breach, and held back until the breach's row could have appeared.
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const held: Array<Promise<void>> = [];
    const fetched: Array<Promise<unknown>> = [];
    await page.route(/\/api\/alerts\?status=/, (route: Route) => {
      if (held.length >= 2) return route.continue();
      const response = route.fetch();
      fetched.push(response);
      held.push(response.then(async (r) => released.then(() => route.fulfill({ response: r }))));
    });

    await page.goto(svc.httpUrl);
    await page.locator('#login-form').waitFor();
    await page.locator('#signin-advanced summary').click();
    await page.locator('#signin-token').fill(svc.adminToken);
    await page.locator('#signin-submit').click();
    await page.locator('#conn[data-state="live"]').waitFor();
    await expect.poll(() => fetched.length).toBe(2);
    await Promise.all(fetched);

    // A second subscriber with the page's scope: the service writes each flush of events to both at
    // once, so once the alert event reaches it, it has been sent to the page too.
    const stream = openEventStream(`${svc.httpUrl}/api/events`, svc.adminToken);
    await stream.opened;
    await sensor.publishAsync('seal/s-1/event', eventPayload('open', 2), { qos: 1 });
    await stream.next((e) => e.event === 'alert');
    stream.close();
    expect((await svc.api('GET', '/api/alerts?status=open')).body).toHaveLength(1);
    await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
    const row = page.locator('.alert-row.type-breach', { hasText: '史村镇东村三组 14 号' });

    release();
    await Promise.all(held);
    await row.waitFor({ timeout: 2_000 });
    // The held answers are delivered (fulfilled above): give the page a moment to take them in, then
    // look again. The breach is still there. (The event stream keeps the network busy for good, so
    // there is no "network idle" to wait for.)
    await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
    expect(await row.count()).toBe(1);
    expect(await row.locator('.badge').textContent()).toBe('违规开门');
    expect(problems.errors).toEqual([]);
    await context.close();
  });
});
