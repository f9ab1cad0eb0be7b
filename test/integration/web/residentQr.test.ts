/**
 * Issue 18.6's journey in headless Chromium against the real service: a resident opens the QR
 * code's page on a phone (390×844), taps a reason, and the door opening that follows, published
 * by a real sensor over MQTT, raises no breach. Past the day's limit the page says why. Screenshots
 * at phone and wall size; axe-core finds no serious or critical problem on any of the pages.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAccessibilityProblems } from '../../helpers/accessibility.ts';
import { launchBrowser, openPage, screenshot } from '../../helpers/browser.ts';
import { connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';

const PHONE = { width: 390, height: 844 };
const WALL = { width: 1920, height: 1080 };
const PUBLIC_URL = 'http://sealwatch.test:8080';

describe("a resident announces through the household's QR code", () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let secret = '';
  let url = '';
  let qrSvg = '';

  beforeAll(async () => {
    svc = await startService({ env: { PUBLIC_URL, LOCALE: 'zh-CN', TZ_LOCAL: 'Asia/Shanghai' } });
    browser = await launchBrowser();
    const call = async (method: string, path: string, body: unknown, status: number) => {
      const answer = await svc.api(method, path, body);
      if (answer.status !== status)
        throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    };
    await call('POST', '/api/grid', { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' }, 201);
    await call(
      'POST',
      '/api/grid',
      { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' },
      201,
    );
    await call('PUT', '/api/grid/shicun/policy', { opensPerDay: 1 }, 200);
    await call(
      'POST',
      '/api/households',
      { id: 'h-1', gridId: 'shicun', address: '史村镇东村三组 12 号' },
      201,
    );
    const start = new Date(Date.now() - 3_600_000).toISOString();
    await call('POST', '/api/quarantines', { householdId: 'h-1', start }, 201);
    secret = (await call('POST', '/api/sensors', { id: 's-1', householdId: 'h-1' }, 201)).secret;
    ({ url, qrSvg } = await call('POST', '/api/households/h-1/qr', undefined, 201));
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await svc?.cleanup();
  });

  it('the resident taps a reason on the phone; the door opening (a real MQTT sensor) raises no breach; past the limit the page says why', async () => {
    const phoneUrl = url.replace(PUBLIC_URL, svc.httpUrl);
    const { page, problems, context } = await openPage(browser, { viewport: PHONE, locale: 'zh-CN' });
    contexts.push(context);

    // The printed code, as the worker prints it.
    await page.setContent(
      `<main style="padding:24px"><h1>二维码</h1><div style="width:320px">${qrSvg}</div></main>`,
    );
    await screenshot(page, 'resident-qr-code-390x844');

    await page.goto(phoneUrl);
    await page.getByRole('heading', { name: '报备开门' }).waitFor();
    expect(await page.locator('.today').textContent()).toBe('今天已申报 0 次，上限 1 次。');
    await screenshot(page, 'resident-qr-page-390x844');
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    // Every reason is a button a thumb cannot miss.
    for (const box of await Promise.all((await page.getByRole('button').all()).map((b) => b.boundingBox())))
      expect(box?.height).toBeGreaterThanOrEqual(72);

    await page.getByLabel('补充说明').fill('外卖放门口');
    await page.getByRole('button', { name: '送餐/取物' }).click();
    await page.getByRole('heading', { name: '✓ 已报备' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('送餐/取物: 外卖放门口');
    await screenshot(page, 'resident-qr-announced-390x844');
    expect(await seriousAccessibilityProblems(page)).toEqual([]);

    // The door opens inside the announced span: logged, not alerted.
    const sensor = await connectSensor(svc.mqttUrl, 's-1', secret);
    await sensor.publishAsync('seal/s-1/heartbeat', heartbeatPayload(1, 'closed', 90), { qos: 1 });
    await sensor.publishAsync('seal/s-1/event', eventPayload('open', 2), { qos: 1 });
    await sensor.endAsync();
    await svc.waitForLog(
      (l) => l.msg === 'door opened: logged, not alerted' && l.sensorId === 's-1' && l.why === 'announced',
    );
    expect((await svc.api('GET', '/api/seals/s-1')).body.door).toBe('open');
    expect((await svc.api('GET', '/api/alerts?status=open')).body).toEqual([]);

    // Back to the page: one of one today, so the next tap is refused with the reason.
    await page.getByRole('link', { name: '返回' }).click();
    await page.getByRole('button', { name: '就医' }).click();
    await page.getByRole('heading', { name: '今天不能再报备' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('今天已申报 1 次，上限 1 次');
    await screenshot(page, 'resident-qr-limit-390x844');
    expect(await seriousAccessibilityProblems(page)).toEqual([]);

    await page.setViewportSize(WALL);
    await page.goto(phoneUrl);
    await page.getByRole('heading', { name: '报备开门' }).waitFor();
    await screenshot(page, 'resident-qr-page-1920x1080');
    expect(await seriousAccessibilityProblems(page)).toEqual([]);

    // A new code: the old page says at once that it was replaced.
    await svc.api('POST', '/api/households/h-1/qr');
    await page.setViewportSize(PHONE);
    await page.goto(phoneUrl);
    await page.getByRole('heading', { name: '此二维码已作废' }).waitFor();
    await screenshot(page, 'resident-qr-revoked-390x844');
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    expect(problems.errors).toEqual([]);
    expect(problems.consoleErrors.filter((e) => !/status of 4(10|29)/.test(e))).toEqual([]);
  });
});
