/**
 * axe-core over the live page as people use it (issue 18: no serious or critical accessibility
 * violation): the sign-in forms, the signed-in board with an open breach in the queue and a grid
 * node's seals shown, and the resolve and history dialogs open, each at phone and wall size. The
 * page is in headless Chromium against the real service, with a real MQTT sensor.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAccessibilityProblems } from '../../helpers/accessibility.ts';
import { launchBrowser, openPage, screenshot } from '../../helpers/browser.ts';
import { creating } from '../../helpers/created.ts';
import { connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';

const SIZES = { phone: { width: 390, height: 844 }, wall: { width: 1920, height: 1080 } } as const;
const PASSWORD = '无障碍-password-2026';

describe('accessibility of the live page', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    svc = await startService();
    browser = await launchBrowser();
    const post = creating(svc);
    await post('/api/grid', { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' });
    await post('/api/grid', { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' });
    await post('/api/workers', { id: 'w-zhang', name: '张伟', gridId: 'shicun', role: 'worker' });
    await post('/api/households', { id: 'h-1', gridId: 'shicun', address: '史村镇东村三组 12 号' });
    await post('/api/quarantines', {
      householdId: 'h-1',
      start: new Date(Date.now() - 3_600_000).toISOString(),
    });
    const { secret } = await post('/api/sensors', { id: 's-1', householdId: 'h-1' });
    await post('/api/users', { username: 'zhao.min', password: PASSWORD, role: 'monitor', gridId: 'quwo' });
    // An open breach, so the queue has a row with its buttons.
    const sensor = await connectSensor(svc.mqttUrl, 's-1', secret);
    await sensor.publishAsync('seal/s-1/heartbeat', heartbeatPayload(1, 'closed', 90), { qos: 1 });
    await sensor.publishAsync('seal/s-1/event', eventPayload('open', 2), { qos: 1 });
    await sensor.endAsync();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await svc?.cleanup();
  });

  /** Each state at both sizes: the problems, named by state and size (empty when all is well). */
  const check = async (page: Page, state: string) => {
    const found: Record<string, unknown> = {};
    for (const [size, viewport] of Object.entries(SIZES)) {
      await page.setViewportSize(viewport);
      const problems = await seriousAccessibilityProblems(page);
      if (problems.length > 0) found[`${state} at ${size}`] = problems;
    }
    return found;
  };

  it('has no serious or critical violation signed out, signed in with a breach, and with its dialogs open', async () => {
    const { page, context } = await openPage(browser, { viewport: SIZES.wall, locale: 'zh-CN' });
    contexts.push(context);
    const found: Record<string, unknown> = {};

    await page.goto(svc.httpUrl);
    await page.locator('#login-username').waitFor();
    Object.assign(found, await check(page, 'sign-in form'));
    await page.locator('#signin-advanced summary').click();
    await page.locator('#login-username').fill('zhao.min');
    await page.locator('#login-password').fill('wrong password');
    await page.locator('#login-submit').click();
    await page.locator('#login-error:text-is("用户名或密码错误。")').waitFor();
    Object.assign(found, await check(page, 'sign-in with an error and the token form open'));

    await page.locator('#login-password').fill(PASSWORD);
    await page.locator('#login-submit').click();
    await page.locator('#conn[data-state="live"]').waitFor();
    const row = page.locator('.alert-row.type-breach', { hasText: '史村镇东村三组 12 号' });
    await row.waitFor();
    await page.locator('.tree-row[data-node-id="shicun"] .node-name').click();
    await page.locator('#seal-table').waitFor({ state: 'visible' });
    Object.assign(found, await check(page, 'the board with a breach and a node selected'));

    await row.locator('button[data-action="resolve"]').click();
    await page.locator('#resolve-dialog[open]').waitFor();
    Object.assign(found, await check(page, 'the resolve dialog'));
    await screenshot(page, 'live-resolve-dialog-1920x1080');
    await page.locator('#resolve-cancel').click();

    await page.locator('.seal-row .link-btn').first().click();
    await page.locator('#history-dialog[open]').waitFor();
    await page.locator('#history-table').waitFor({ state: 'visible' });
    Object.assign(found, await check(page, 'the door history dialog'));

    expect(found).toEqual({});
  });
});
