/**
 * A person signs in on the live page with a user name and password (issue 18.1), in headless
 * Chromium against the real service: a wrong password says so, the right one opens the live page,
 * an acknowledgement from the page records the person, and signing out ends the session.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshot } from '../../helpers/browser.ts';
import { creating } from '../../helpers/created.ts';
import { connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';

const PHONE = { width: 390, height: 844 };
const WALL = { width: 1920, height: 1080 };
const PASSWORD = '值守-password-2026';

describe('signing in on the page as a person', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let secret = '';

  beforeAll(async () => {
    svc = await startService();
    browser = await launchBrowser();
    const post = creating(svc);
    await post('/api/grid', { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' });
    await post('/api/grid', { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' });
    await post('/api/households', { id: 'h-1', gridId: 'shicun', address: '史村镇东村三组 12 号' });
    await post('/api/quarantines', {
      householdId: 'h-1',
      start: new Date(Date.now() - 3_600_000).toISOString(),
    });
    secret = (await post('/api/sensors', { id: 's-1', householdId: 'h-1' })).secret;
    // The administrator creates the person with the admin token, as README shows with curl.
    await post('/api/users', {
      username: 'zhang.wei',
      password: PASSWORD,
      role: 'monitor',
      gridId: 'shicun',
    });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await svc?.cleanup();
  });

  it('a wrong password says so; the right one opens the live page; acknowledging records the person; signing out ends the session', async () => {
    const { page, problems, context } = await openPage(browser, { viewport: PHONE, locale: 'zh-CN' });
    contexts.push(context);
    await page.goto(svc.httpUrl);
    await page.locator('#login-username').waitFor();
    await screenshot(page, 'person-signin-390x844');

    await page.locator('#login-username').fill('zhang.wei');
    await page.locator('#login-password').fill('not the password');
    await page.locator('#login-submit').click();
    // A wrong password takes a full scrypt check (on purpose): more than the poll's default 1 s on a busy machine.
    await expect
      .poll(() => page.locator('#login-error').textContent(), { timeout: 10_000 })
      .toBe('用户名或密码错误。');
    expect(await page.locator('#board').isHidden()).toBe(true);
    await screenshot(page, 'person-signin-wrong-390x844');

    await page.locator('#login-password').fill(PASSWORD);
    await page.locator('#login-submit').click();
    await page.locator('#board').waitFor({ state: 'visible' });
    await page.locator('#conn[data-state="live"]').waitFor();
    expect(await page.locator('#scope-name').textContent()).toBe('史村镇');
    // The session is an HttpOnly cookie: the page's scripts cannot read it, nothing is in storage.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.evaluate(() => localStorage.getItem('sealwatch.token'))).toBeNull();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({
      name: 'sealwatch_session',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
    });

    // A breach: the person acknowledges it from the page.
    const sensor = await connectSensor(svc.mqttUrl, 's-1', secret);
    await sensor.publishAsync('seal/s-1/heartbeat', heartbeatPayload(1, 'closed', 90), { qos: 1 });
    await sensor.publishAsync('seal/s-1/event', eventPayload('open', 2), { qos: 1 });
    await sensor.endAsync();
    const row = page.locator('.alert-row.type-breach', { hasText: '史村镇东村三组 12 号' });
    await row.waitFor({ timeout: 5_000 });
    const alertId = (await row.getAttribute('data-alert-id')) as string;
    await screenshot(page, 'person-board-390x844', true);
    await page.setViewportSize(WALL);
    await screenshot(page, 'person-board-1920x1080');
    await row.locator('button[data-action="ack"]').click();
    await row.locator('.alert-status:text-is("已确认")').waitFor();
    const alert = (await svc.api('GET', `/api/alerts/${alertId}`)).body;
    expect(alert.history.find((h: { kind: string }) => /ack/i.test(h.kind))?.actor).toBe('zhang.wei');

    // A reload keeps the person signed in (the cookie), with no token anywhere.
    await page.reload();
    await page.locator('#conn[data-state="live"]').waitFor();

    await page.locator('#sign-out').click();
    await page.locator('#login-username').waitFor();
    expect(await page.locator('#board').isHidden()).toBe(true);
    // The session ended on the server: the old cookie no longer signs anything in.
    const old = await fetch(`${svc.httpUrl}/api/me`, {
      headers: { cookie: `${cookie?.name}=${cookie?.value}` },
    });
    expect(old.status).toBe(401);
    await page.setViewportSize(PHONE);
    await screenshot(page, 'person-signed-out-390x844');
    expect(problems.errors).toEqual([]);
    expect(problems.dialogs).toEqual([]);
  });
});

// The callbacks given to page.evaluate run in the browser (the project compiles without the DOM library).
// biome-ignore lint/suspicious/noExplicitAny: browser globals, checked by the browser itself
declare const document: any, localStorage: any;
