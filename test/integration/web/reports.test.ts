/**
 * The live page's daily report archive in headless Chromium against the real service: the schedule
 * (set to the first minute after the set-up) archives yesterday's reports; the page lists them with
 * their files, a file downloads under the server's name, on a phone and on a wall screen.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshot } from '../../helpers/browser.ts';
import { cronAtNextMinute } from '../../helpers/cronSoon.ts';
import { eventually } from '../../helpers/eventually.ts';
import { startService } from '../../helpers/service.ts';

// biome-ignore lint/suspicious/noExplicitAny: browser globals, checked by the browser itself
declare const document: any, window: any;

const TZ = 'Asia/Shanghai';

describe('live page: daily reports', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;

  beforeAll(async () => {
    // Not "every minute": a run between creating the county and the town's leader archived the
    // county alone, and the day once archived is not archived again (CI failed on it once).
    const due = cronAtNextMinute(20_000, TZ);
    svc = await startService({ env: { DAILY_REPORT_CRON: due.cron, TZ_LOCAL: TZ } });
    browser = await launchBrowser();
    await svc.api('POST', '/api/grid', { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' });
    await svc.api('POST', '/api/grid', { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' });
    await svc.api('POST', '/api/workers', {
      id: 'l-town',
      name: '镇网格长',
      gridId: 'shicun',
      role: 'leader',
    });
    if (Date.now() > due.at - 1_000) throw new Error('the set-up took too long: it ran past the cron time');
    await eventually(
      async () => (await svc.api('GET', '/api/reports')).body.total === 2,
      due.at - Date.now() + 15_000,
      'the schedule archived yesterday (county and town)',
    );
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.cleanup();
  });

  it('lists the archive with its files on a phone and a wall screen; a file downloads', async () => {
    for (const [name, viewport] of [
      ['phone-390x844-reports', { width: 390, height: 844 }],
      ['wall-1920x1080-reports', { width: 1920, height: 1080 }],
    ] as const) {
      const { page, problems, context } = await openPage(browser, {
        viewport,
        locale: 'zh-CN',
        acceptDownloads: true,
      });
      await page.goto(svc.httpUrl);
      await page.locator('#login-form').waitFor();
      await page.locator('#signin-advanced summary').click();
      await page.locator('#signin-token').fill(svc.adminToken);
      await page.locator('#signin-submit').click();
      await page.locator('.report-row').first().waitFor();
      expect(await page.locator('#reports-title').textContent()).toBe('日报存档');
      expect(await page.locator('.report-row').count()).toBe(2);
      expect(await page.locator('.report-row').first().textContent()).toContain('Excel 表格');
      const overflowX = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflowX, `${name}: page wider than the screen`).toBeLessThanOrEqual(0);
      const box = await page.locator('.report-file').first().boundingBox();
      expect(box?.height).toBeGreaterThanOrEqual(44);
      await page.locator('.report-row').first().scrollIntoViewIfNeeded();
      await screenshot(page, name, name.startsWith('phone'));

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('.report-row').first().locator('.report-file').first().click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^sealwatch-daily-(quwo|shicun)-\d{4}-\d{2}-\d{2}\.xlsx$/);
      expect(problems.errors).toEqual([]);
      await context.close();
    }
  });
});
