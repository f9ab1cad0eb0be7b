/**
 * The command room's wall (/wall, issue 18.4) in headless Chromium against the real service, with
 * real MQTT sensors in two of twenty townships: a person opening the wall signs in through the live
 * page and comes back; a breach becomes the big "waiting longest" box and its township's tile
 * turns to "act now"; an acknowledgement moves today's time to acknowledge (on the wall and in
 * /metrics). Everything fits 1920×1080 without scrolling and still reads on a 390×844 phone.
 */
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAccessibilityProblems } from '../../helpers/accessibility.ts';
import { launchBrowser, openPage, screenshot } from '../../helpers/browser.ts';
import { creating } from '../../helpers/created.ts';
import { connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';

const PHONE = { width: 390, height: 844 };
const WALL = { width: 1920, height: 1080 };
const PASSWORD = '大屏-password-2026';
/** Twenty townships of 曲沃县; the two with sensors first. */
const TOWNSHIPS = [
  ['shicun', '史村镇'],
  ['lechang', '乐昌镇'],
  ['quli', '曲村镇'],
  ['gaoxian', '高显镇'],
  ['lidian', '里村镇'],
  ['yangtan', '杨谈乡'],
  ['beidong', '北董乡'],
  ['tonggang', '听城乡'],
  ['dongjiao', '东郊工业园区管委会'],
  ['xijiao', '西郊乡'],
  ['nanxin', '南辛庄乡'],
  ['beiguan', '北关街道'],
  ['chengguan', '城关镇'],
  ['houma', '侯马乡'],
  ['wangzhuang', '王庄乡'],
  ['fengcheng', '凤城乡'],
  ['liucun', '柳村乡'],
  ['xinjiang', '新绛乡'],
  ['taiping', '太平镇'],
  ['zhaokang', '赵康镇'],
] as const;

describe('the wall mode', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const sensors: MqttClient[] = [];
  const secrets: Record<string, string> = {};

  let post: ReturnType<typeof creating>;

  beforeAll(async () => {
    svc = await startService();
    post = creating(svc);
    browser = await launchBrowser();
    await post('/api/grid', { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' });
    for (const [id, name] of TOWNSHIPS)
      await post('/api/grid', { id, name, parentId: 'quwo', level: 'township' });
    const start = new Date(Date.now() - 3_600_000).toISOString();
    for (const [town, village, villageName, worker, workerName, household, address, sensor] of [
      ['shicun', 'dongcun', '东村', 'w-zhang', '张伟', 'h-1', '史村镇东村三组 12 号', 's-1'],
      ['lechang', 'xicun', '西村', 'w-li', '李娜', 'h-2', '乐昌镇西村一组 7 号', 's-2'],
    ] as const) {
      await post('/api/grid', { id: village, name: villageName, parentId: town, level: 'village' });
      await post('/api/workers', { id: worker, name: workerName, gridId: village, role: 'worker' });
      await post('/api/households', { id: household, gridId: village, address });
      await post('/api/quarantines', { householdId: household, start });
      secrets[sensor] = (await post('/api/sensors', { id: sensor, householdId: household })).secret;
    }
    await post('/api/users', { username: 'wang.fang', password: PASSWORD, role: 'monitor', gridId: 'quwo' });
    for (const id of ['s-1', 's-2']) {
      const client = await connectSensor(svc.mqttUrl, id, secrets[id] as string);
      sensors.push(client);
      await client.publishAsync(`seal/${id}/heartbeat`, heartbeatPayload(1, 'closed', 90), { qos: 1 });
    }
  });

  afterAll(async () => {
    for (const c of sensors) await c.endAsync().catch(() => {});
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await svc?.cleanup();
  });

  const tile = (page: Page, gridId: string) => page.locator(`.tile[data-grid-id="${gridId}"]`);
  const fitsTheScreen = (page: Page) =>
    page.evaluate(() => {
      const root = document.documentElement;
      const clipped = [...document.querySelectorAll('.tile, .wall-oldest, .wall-tta')]
        .filter((n) => n.scrollHeight > n.clientHeight + 1 || n.scrollWidth > n.clientWidth + 1)
        .map((n) => n.className);
      // Inside a tile, the figures end above the note line (large type must not run into it).
      for (const n of document.querySelectorAll('.tile')) {
        const figs = n.querySelector('.tile-figs').getBoundingClientRect();
        const note = n.querySelector('.tile-note').getBoundingClientRect();
        if (figs.bottom > note.top + 1) clipped.push(`${n.dataset.gridId} overlaps`);
      }
      return {
        scrolls: root.scrollHeight > innerHeight || root.scrollWidth > innerWidth,
        clipped,
      };
    });

  it('signs in through the live page, shows the oldest unacknowledged breach big, and an acknowledgement moves time to acknowledge', async () => {
    const { page, problems, context } = await openPage(browser, { viewport: WALL, locale: 'zh-CN' });
    contexts.push(context);

    // Not signed in: the wall sends the person to the live page's sign-in, which brings them back.
    await page.goto(`${svc.httpUrl}/wall`);
    await page.locator('#login-username').waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/wall');
    await page.locator('#login-username').fill('wang.fang');
    await page.locator('#login-password').fill(PASSWORD);
    await page.locator('#login-submit').click();
    await page.waitForURL(/\/wall$/);
    await page.locator('#conn[data-state="live"]').waitFor();
    await expect.poll(() => page.locator('.tile').count()).toBe(20);
    expect(await page.locator('#wall-scope').textContent()).toBe('曲沃县');
    await expect.poll(() => tile(page, 'shicun').locator('.fig-armed dd').textContent()).toBe('1');
    expect(await page.locator('.oldest-clear').textContent()).toContain('没有待确认的告警');
    expect(await page.locator('.tta-none dd').textContent()).toBe('今日尚无确认');
    await screenshot(page, 'wall-calm-1920x1080');
    expect(await seriousAccessibilityProblems(page)).toEqual([]);

    // A breach in 史村镇, then one in 乐昌镇: the first waits longest and takes the big box.
    await sensors[0]?.publishAsync('seal/s-1/event', eventPayload('open', 2), { qos: 1 });
    await page.locator('.wall-oldest[data-state="critical"] .oldest-where').waitFor();
    await new Promise((r) => setTimeout(r, 1_200));
    await sensors[1]?.publishAsync('seal/s-2/event', eventPayload('open', 2), { qos: 1 });
    await page.locator('.waiting-row', { hasText: '乐昌镇西村一组 7 号' }).waitFor();
    expect(await page.locator('.oldest-where').textContent()).toBe('史村镇东村三组 12 号');
    expect(await page.locator('.oldest-type').textContent()).toBe('⚠ 违规开门');
    expect(await page.locator('.oldest-path').textContent()).toBe('曲沃县 › 史村镇 › 东村');
    expect(await page.locator('.oldest-assignee').textContent()).toBe('负责人：张伟');
    expect(await page.locator('#oldest-count').textContent()).toBe('共 2 条待确认');
    expect(await page.locator('.oldest-wait-value').textContent()).toMatch(/^\d+ 秒$/);
    // The township's tile says it in words, not only in red.
    await expect.poll(() => tile(page, 'shicun').locator('.tile-state').textContent()).toBe('⚠ 需处理');
    expect(await tile(page, 'shicun').locator('.fig-unacknowledged dd').textContent()).toBe('1');
    expect(await tile(page, 'shicun').locator('.fig-breaches dd').textContent()).toBe('1');
    expect(await tile(page, 'quli').locator('.tile-state').textContent()).toBe('✓ 正常');
    expect(await fitsTheScreen(page)).toEqual({ scrolls: false, clipped: [] });
    await screenshot(page, 'wall-breach-1920x1080');
    expect(await seriousAccessibilityProblems(page)).toEqual([]);

    // 史村镇's breach is acknowledged: time to acknowledge moves, 乐昌镇's breach is now the oldest.
    const open = (await svc.api('GET', '/api/alerts?status=open')).body as { id: string; sensorId: string }[];
    const first = open.find((a) => a.sensorId === 's-1');
    expect((await svc.api('POST', `/api/alerts/${first?.id}/ack`, {})).status).toBe(200);
    await expect.poll(() => page.locator('.oldest-where').textContent()).toBe('乐昌镇西村一组 7 号');
    await page.locator('.tta-median dd').waitFor();
    expect(await page.locator('.tta-count dd').textContent()).toBe('1 条');
    expect(await page.locator('.tta-median dd').textContent()).toMatch(/^\d+ 秒$/);
    expect(await tile(page, 'shicun').locator('.fig-unacknowledged dd').textContent()).toBe('0');
    expect(await tile(page, 'shicun').locator('.tile-state').textContent()).toBe('● 处理中');
    expect(await tile(page, 'shicun').locator('.tile-note').textContent()).toBe('1 条处理中 · 1 户开门');
    const wall = (await svc.api('GET', '/api/wall')).body;
    expect(wall.timeToAck.count).toBe(1);
    expect(wall.timeToAck.medianMs).toBe(wall.timeToAck.maxMs);
    const metrics = (await svc.api('GET', '/metrics?name=sealwatch_time_to_ack_today_seconds'))
      .body as string;
    const median = Number(
      /sealwatch_time_to_ack_today_seconds\{stat="median"\} ([\d.e+-]+)/.exec(metrics)?.[1],
    );
    expect(median).toBeCloseTo(wall.timeToAck.medianMs / 1000, 3);
    await screenshot(page, 'wall-acknowledged-1920x1080');

    // A phone: the same wall, stacked and scrolling, still readable.
    await page.setViewportSize(PHONE);
    await screenshot(page, 'wall-acknowledged-390x844');
    await screenshot(page, 'wall-acknowledged-390x844-full', true);
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    await page.locator('.lang-btn[data-lang="en"]').click();
    await expect.poll(() => page.locator('.oldest-type').textContent()).toBe('⚠ Door breach');
    await page.setViewportSize(WALL);
    await screenshot(page, 'wall-acknowledged-en-1920x1080');
    expect(await fitsTheScreen(page)).toEqual({ scrolls: false, clipped: [] });
    // Larger walls and a small television: the type grows and shrinks with the screen, all still fits.
    for (const size of [
      { width: 3840, height: 2160 },
      { width: 1280, height: 720 },
    ]) {
      await page.setViewportSize(size);
      await screenshot(page, `wall-acknowledged-en-${size.width}x${size.height}`);
      expect(await fitsTheScreen(page), `${size.width}x${size.height}`).toEqual({
        scrolls: false,
        clipped: [],
      });
    }
    expect(problems.errors).toEqual([]);
    // The two 401s of GET /api/me before signing in are how the pages learn nobody is signed in.
    expect(problems.consoleErrors.filter((e) => !/status of 401 .*\/api\/me$/.test(e))).toEqual([]);
  });

  it('says so when its figures may be stale (the service is gone), and recovers by itself when it is back', async () => {
    const { page, context } = await openPage(browser, { viewport: WALL, locale: 'zh-CN' });
    contexts.push(context);
    await page.goto(`${svc.httpUrl}/`);
    await page.locator('#signin-advanced summary').click();
    await page.locator('#signin-token').fill(svc.adminToken);
    await page.locator('#signin-submit').click();
    await page.locator('#board').waitFor({ state: 'visible' });
    // The live page's header link opens the wall, signed in by the same stored token.
    await page.locator('.wall-mode-link').click();
    await page.waitForURL(/\/wall$/);
    await page.locator('#conn[data-state="live"]').waitFor();
    await expect.poll(() => page.locator('.tile').count()).toBe(20);

    await svc.stop();
    // Down for more than 15 s: the connection says so in words, and the banner says since when.
    await page.locator('#conn[data-state="down"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#wall-banner').textContent()).toMatch(
      /^数据可能已过期：最后更新于 \d\d:\d\d:\d\d$/,
    );
    expect(await fitsTheScreen(page)).toEqual({ scrolls: false, clipped: [] });
    await screenshot(page, 'wall-stale-1920x1080');
    expect(await seriousAccessibilityProblems(page)).toEqual([]);

    await svc.restart();
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 30_000 });
    await page.locator('#wall-banner').waitFor({ state: 'hidden' });
  });

  it("answers only the caller's scope: a township's monitor sees its villages, not the county", async () => {
    const made = await svc.api('POST', '/api/tokens', {
      role: 'monitor',
      gridId: 'lechang',
      name: 'wall of 乐昌镇',
    });
    const wall = (await svc.api('GET', '/api/wall', undefined, made.body.token)).body;
    expect(wall.rootName).toBe('乐昌镇');
    expect(wall.tiles.map((t: { id: string }) => t.id)).toEqual(['xicun']);
    expect(JSON.stringify(wall)).not.toContain('史村镇');
    expect((await svc.api('GET', '/api/wall?gridId=shicun', undefined, made.body.token)).status).toBe(404);
  });
});

// The callbacks given to page.evaluate run in the browser (the project compiles without the DOM library).
// biome-ignore lint/suspicious/noExplicitAny: browser globals, checked by the browser itself
declare const document: any, innerHeight: number, innerWidth: number;
