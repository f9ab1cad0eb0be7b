/**
 * The grid worker's phone view at /m (issue 18.3) in headless Chromium against the real service:
 * a worker signs in on a 390×844 screen and sees only their households (two workers, two
 * villages, real MQTT seals); an open breach is acknowledged and resolved from the phone; an
 * opening is announced from the phone and the door opening inside it raises no alert; the resident
 * QR code is made from the phone, ready to print. The page
 * passes axe-core on the list and the timeline, every control is a finger's size, and the web app
 * manifest is served and valid.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAccessibilityProblems } from '../../helpers/accessibility.ts';
import { launchBrowser, openPage, screenshot } from '../../helpers/browser.ts';
import { eventually } from '../../helpers/eventually.ts';
import { connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';
import { HOUSEHOLDS, sealsReportAndOneDoorOpens, setUpTwoVillages, WORKER_PASSWORDS } from './twoVillages.ts';

const PHONE = { width: 390, height: 844 };
const WALL = { width: 1920, height: 1080 };
/** Chromium logs the page's first GET /api/me (nobody signed in yet: 401) as an error; it is not one. */
const unexpected = (consoleErrors: string[]) => consoleErrors.filter((e) => !/401 .*\/api\/me$/.test(e));
/** WCAG 2.5.5's target size; the page aims at 48 px and more. */
const MIN_TARGET_PX = 44;

describe("the grid worker's phone view", () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let secrets: Record<string, string> = {};

  beforeAll(async () => {
    svc = await startService();
    browser = await launchBrowser();
    secrets = await setUpTwoVillages(svc);
    await sealsReportAndOneDoorOpens(svc, secrets);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await svc?.cleanup();
  });

  const signIn = async (username: string, password: string) => {
    const opened = await openPage(browser, {
      viewport: PHONE,
      locale: 'zh-CN',
      hasTouch: true,
      isMobile: true,
    });
    contexts.push(opened.context);
    const { page } = opened;
    await page.goto(`${svc.httpUrl}/m`);
    await page.locator('#login-username').waitFor();
    await screenshot(page, 'worker-signin-390x844');
    await page.locator('#login-username').fill(username);
    await page.locator('#login-password').fill(password);
    await page.locator('#login-submit').click();
    await page.locator('#households .household').first().waitFor({ timeout: 10_000 });
    return opened;
  };

  /** Visible buttons, links and inputs smaller than a fingertip. */
  const smallTargets = (page: Page) =>
    page.evaluate((min) => {
      const small: string[] = [];
      for (const node of document.querySelectorAll('button, a[href], input, select, textarea, summary')) {
        const box = node.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        if (box.height < min || box.width < min)
          small.push(`${node.tagName} ${node.id || node.textContent?.trim()} ${box.width}×${box.height}`);
      }
      return small;
    }, MIN_TARGET_PX);

  it('a worker signs in on a 390x844 screen and sees only their households', async () => {
    const { page, problems } = await signIn('wang.fang', WORKER_PASSWORDS.wang);
    const cards = page.locator('#households .household');
    await expect.poll(() => cards.count()).toBe(2);
    expect(await cards.evaluateAll((nodes) => nodes.map((n) => n.dataset.householdId))).toEqual([
      HOUSEHOLDS.breach.id,
      HOUSEHOLDS.calm.id,
    ]);
    expect(await page.locator('#main').textContent()).not.toContain(HOUSEHOLDS.other.address);
    expect(await page.locator('#scope-name').textContent()).toBe('东村');

    // The open breach is first, with its state, the quarantine's end and a number to call.
    const breach = cards.first();
    await breach.locator('.alert-box.is-open').waitFor();
    expect(await breach.locator('.alert-type').textContent()).toBe('违规开门');
    expect(await breach.locator('.chip').allTextContents()).toEqual(['门开着', '在线', '布防中', '电量 87%']);
    expect(await breach.locator('.quarantine').textContent()).toMatch(/^隔离至 \d\d\/\d\d \d\d:\d\d/);
    expect(await breach.locator('a.btn-call').getAttribute('href')).toBe('tel:13800138000');
    expect(await breach.locator('a.btn-call').textContent()).toContain('拨打 张桂兰');
    expect(await page.locator('#summary').textContent()).toBe('共 2 户 · 待确认告警 1 条');

    await screenshot(page, 'worker-list-390x844');
    await screenshot(page, 'worker-list-390x844-full', true);
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    expect(await smallTargets(page)).toEqual([]);
    await page.setViewportSize(WALL);
    await screenshot(page, 'worker-list-1920x1080');
    await page.setViewportSize(PHONE);
    // English, for the page's other language: every string changes, the data does not.
    await page.locator('.lang-btn[data-lang="en"]').tap();
    await expect.poll(() => page.locator('#alerts-title').textContent()).toBe('My households');
    expect(await breach.locator('button[data-action="ack"]').textContent()).toBe('Acknowledge');
    await screenshot(page, 'worker-list-en-390x844');
    await page.locator('.lang-btn[data-lang="zh-CN"]').tap();
    await expect.poll(() => page.locator('#alerts-title').textContent()).toBe('我的住户');

    // The other village's worker sees their one household, not 王芳's.
    const li = await signIn('li.qiang', WORKER_PASSWORDS.li);
    await expect.poll(() => li.page.locator('#households .household').count()).toBe(1);
    expect(await li.page.locator('.household-address').allTextContents()).toEqual([HOUSEHOLDS.other.address]);
    expect(problems.errors).toEqual([]);
    expect(li.problems.errors).toEqual([]);
  });

  it('acknowledges and resolves the breach from the phone; the person is recorded', async () => {
    const { page, problems } = await signIn('wang.fang', WORKER_PASSWORDS.wang);
    const breach = page.locator(`.household[data-household-id="${HOUSEHOLDS.breach.id}"]`);
    const alertId = (await breach.locator('.alert-box').getAttribute('data-alert-id')) as string;
    await breach.locator('button[data-action="ack"]').tap();
    await breach.locator('.alert-box[data-status="acknowledged"]').waitFor();
    expect(await breach.locator('.alert-acked').textContent()).toBe('已确认 · wang.fang');
    expect(await page.locator('#summary').textContent()).toBe('共 2 户 · 没有待确认的告警');

    await breach.locator('button[data-action="resolve"]').tap();
    await page.locator('#resolve-dialog').waitFor({ state: 'visible' });
    await page.locator('#resolve-dialog input[value="falseAlarm"]').check();
    await page.locator('#resolve-note').fill('上门核实：住户取快递，已提醒');
    await screenshot(page, 'worker-resolve-390x844');
    await page.locator('#resolve-submit').tap();
    await page.locator('#resolve-dialog').waitFor({ state: 'hidden' });
    await expect.poll(() => breach.locator('.alert-box').count(), { timeout: 10_000 }).toBe(0);

    const alert = (await svc.api('GET', `/api/alerts/${alertId}`)).body;
    expect(alert).toMatchObject({
      status: 'resolved',
      outcome: 'falseAlarm',
      note: '上门核实：住户取快递，已提醒',
      ackedBy: 'wang.fang',
      resolvedBy: 'wang.fang',
    });
    expect(problems.errors).toEqual([]);
    expect(unexpected(problems.consoleErrors)).toEqual([]);
  });

  it("announces an opening from the phone; the door opening inside it is logged in the household's timeline, not alerted", async () => {
    const { page, problems } = await signIn('wang.fang', WORKER_PASSWORDS.wang);
    await page
      .locator(`.household[data-household-id="${HOUSEHOLDS.breach.id}"] button[data-action="details"]`)
      .tap();
    await page.locator('#household-view').waitFor({ state: 'visible' });
    expect(await page.locator('#household-title').textContent()).toBe(HOUSEHOLDS.breach.address);
    await page.locator('#timeline .tl-alert').waitFor();

    await page.locator('#announce-open').tap();
    await page.locator('#announce-dialog').waitFor({ state: 'visible' });
    await page.locator('#announce-dialog input[value="就医"]').check();
    await page.locator('#announce-minutes').fill('15');
    await screenshot(page, 'worker-announce-390x844');
    await page.locator('#announce-submit').tap();
    await page.locator('#announce-dialog').waitFor({ state: 'hidden' });
    await expect
      .poll(() => page.locator('#banner').textContent(), { timeout: 10_000 })
      .toMatch(/^已报备，.+前开门不报警$/);
    await page.locator('#timeline .tl-announcement', { hasText: '报备开门：就医' }).waitFor();
    // The open door is allowed now: the household says so, and its door is a warning, not red.
    await page.locator('#household-state .announced', { hasText: '报备开门中（就医）' }).waitFor();
    expect(await page.locator('#household-state .chip', { hasText: '门开着' }).getAttribute('class')).toBe(
      'chip chip-warn',
    );

    // The resident shuts the door and opens it again inside the announcement: logged, not alerted.
    const sensorId = `s-${HOUSEHOLDS.breach.id}`;
    const doorsBefore = await page.locator('#timeline .tl-door').count();
    const sensor = await connectSensor(svc.mqttUrl, sensorId, secrets[sensorId] as string);
    await sensor.publishAsync(`seal/${sensorId}/event`, eventPayload('close', 3), { qos: 1 });
    await sensor.publishAsync(`seal/${sensorId}/event`, eventPayload('open', 4), { qos: 1 });
    await sensor.publishAsync(`seal/${sensorId}/heartbeat`, heartbeatPayload(5, 'open', 86), { qos: 1 });
    await sensor.endAsync();
    await expect
      .poll(() => page.locator('#timeline .tl-door').count(), { timeout: 10_000 })
      .toBe(doorsBefore + 2);
    await eventually(
      async () => (await svc.api('GET', `/api/seals/${sensorId}`)).body.battery === 86,
      10_000,
      'the heartbeat after the opening',
    );
    const open = (await svc.api('GET', '/api/alerts?status=open')).body as Array<{ householdId?: string }>;
    expect(open.filter((a) => a.householdId === HOUSEHOLDS.breach.id)).toEqual([]);
    const timeline = (await svc.api('GET', `/api/households/${HOUSEHOLDS.breach.id}/timeline`)).body.items;
    expect(timeline.find((i: { kind: string }) => i.kind === 'announcement').announcement).toMatchObject({
      reason: '就医',
      by: 'wang.fang',
    });

    const kinds = await page
      .locator('#timeline .tl-item')
      .evaluateAll((nodes) => nodes.map((n) => n.dataset.kind));
    expect(new Set(kinds)).toEqual(new Set(['door', 'alert', 'quarantine', 'window', 'announcement']));
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    expect(await smallTargets(page)).toEqual([]);
    await screenshot(page, 'worker-timeline-390x844');
    await screenshot(page, 'worker-timeline-390x844-full', true);
    await page.setViewportSize(WALL);
    await screenshot(page, 'worker-timeline-1920x1080');

    // The phone's back button goes back to the list.
    await page.goBack();
    await page.locator('#list-view').waitFor({ state: 'visible' });
    expect(problems.errors).toEqual([]);
    expect(unexpected(problems.consoleErrors)).toEqual([]);
  });

  it("makes the household's resident QR code on the spot, to print: the code, its page's address, a print button", async () => {
    const { page, problems } = await signIn('wang.fang', WORKER_PASSWORDS.wang);
    await page
      .locator(`.household[data-household-id="${HOUSEHOLDS.calm.id}"] button[data-action="details"]`)
      .tap();
    await page.locator('#household-view').waitFor({ state: 'visible' });
    await page.locator('#qr-open').tap();
    // Nothing is made (and the code on the door stays valid) until the worker asks for a new one.
    await page.locator('#qr-dialog').waitFor({ state: 'visible' });
    expect(await page.locator('#qr-warning').textContent()).toContain('旧二维码立即作废');
    expect(await page.locator('#qr-box').isHidden()).toBe(true);
    await page.locator('#qr-make').tap();
    await page.locator('#qr-box').waitFor({ state: 'visible', timeout: 10_000 });
    const image = page.locator('#qr-image');
    expect(await image.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    expect(await image.getAttribute('alt')).toBe(`${HOUSEHOLDS.calm.address} 的报备二维码`);
    // The SVG decoded into a picture a printer can print.
    expect(await image.evaluate((img) => img.naturalWidth)).toBeGreaterThan(0);
    const url = (await page.locator('#qr-url').textContent()) as string;
    expect(url).toMatch(/^https?:\/\/.+/);
    expect(await page.locator('#qr-print').isVisible()).toBe(true);
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'worker-qr-390x844');

    // The printed address opens the resident's page.
    const resident = await fetch(`${svc.httpUrl}${new URL(url).pathname}`);
    expect(resident.status).toBe(200);
    expect(resident.headers.get('content-type')).toMatch(/^text\/html/);
    await page.locator('#qr-close').tap();
    expect(problems.errors).toEqual([]);
    expect(unexpected(problems.consoleErrors)).toEqual([]);
  });

  it('is installable: the manifest is served as a manifest, valid, with PNG and SVG icons and the theme colour', async () => {
    const page = await fetch(`${svc.httpUrl}/m`);
    const html = await page.text();
    expect(html).toContain('<link rel="manifest" href="/m/manifest.webmanifest" />');
    expect(html).toMatch(/<meta name="theme-color" content="#[0-9a-f]{6}" \/>/);

    const res = await fetch(`${svc.httpUrl}/m/manifest.webmanifest`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
    const manifest = (await res.json()) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: expect.stringContaining('网格员'),
      short_name: '网格员',
      start_url: '/m',
      scope: '/m',
      display: 'standalone',
      theme_color: expect.stringMatching(/^#[0-9a-f]{6}$/),
      background_color: expect.stringMatching(/^#[0-9a-f]{6}$/),
    });
    const sizes = new Set<string>();
    for (const icon of manifest.icons as Array<{ src: string; sizes: string; type: string }>) {
      const file = await fetch(new URL(icon.src, svc.httpUrl));
      expect(file.status, icon.src).toBe(200);
      expect(file.headers.get('content-type'), icon.src).toBe(icon.type);
      const bytes = Buffer.from(await file.arrayBuffer());
      if (icon.type === 'image/png') {
        // The PNG's own header (IHDR) holds its size: it must be what the manifest says.
        expect(`${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`, icon.src).toBe(icon.sizes);
      } else {
        expect(bytes.toString('utf8'), icon.src).toContain('<svg');
      }
      sizes.add(icon.sizes);
    }
    // Chromium's install criteria: a 192 px and a 512 px icon.
    expect(sizes).toEqual(new Set(['any', '192x192', '512x512']));
  });
});

// The callbacks given to page.evaluate run in the browser (the project compiles without the DOM library).
// biome-ignore lint/suspicious/noExplicitAny: browser globals, checked by the browser itself
declare const document: any;
