/**
 * Issue 18's journey for a monitor, in headless Chromium against the real service: a monitor signs
 * in, opens an alert's dialog, reassigns it to a leader of the township, and the leader's webhook
 * receives it; a note and a silence of the seal from the same dialog; the history search finds the
 * alert. Screenshots at phone and wall size, and axe-core on the dialogs.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAccessibilityProblems } from '../../helpers/accessibility.ts';
import { launchBrowser, openPage, screenshot } from '../../helpers/browser.ts';
import type { RunningService } from '../../helpers/service.ts';
import type { WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { armedHousehold, must, publishOpen, startAlertingRig } from '../alerting/grid.ts';

const PHONE = { width: 390, height: 844 };
const WALL = { width: 1920, height: 1080 };
const PASSWORD = '指挥中心-password-2026';

describe("the command room's hands on the live page", () => {
  let svc: RunningService;
  let hook: WebhookReceiver;
  let rig: Awaited<ReturnType<typeof startAlertingRig>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    rig = await startAlertingRig({ ESCALATE_AFTER: '10m,20m', LOCALE: 'zh-CN', TZ_LOCAL: 'Asia/Shanghai' });
    ({ svc, hook } = rig);
    browser = await launchBrowser();
    await must(
      svc,
      'POST',
      '/api/users',
      { username: 'zhao.monitor', password: PASSWORD, role: 'monitor', gridId: 'quwo' },
      201,
    );
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await rig?.close();
  });

  const signIn = async (viewport: { width: number; height: number }): Promise<Page> => {
    const { page, problems, context } = await openPage(browser, { viewport, locale: 'zh-CN' });
    contexts.push(context);
    await page.goto(svc.httpUrl);
    await page.locator('#login-username').fill('zhao.monitor');
    await page.locator('#login-password').fill(PASSWORD);
    await page.locator('#login-submit').click();
    await page.locator('#board').waitFor({ state: 'visible' });
    await page.locator('#conn[data-state="live"]').waitFor();
    (page as Page & { problems?: typeof problems }).problems = problems;
    return page;
  };
  const problemsOf = (page: Page) => (page as Page & { problems: { errors: string[] } }).problems;

  it('a monitor reassigns an alert on the page and the new worker’s webhook receives it; a note and a silence from the same dialog (wall screen)', async () => {
    const s = await armedHousehold(svc, 'dongcun', '61');
    await publishOpen(svc, s, 1);
    const page = await signIn(WALL);
    const row = page.locator('.alert-row', { hasText: '三组 61 号' });
    await row.waitFor();
    await row.locator('[data-action="detail"]').click();
    const dialog = page.locator('#alert-dialog');
    await dialog.waitFor({ state: 'visible' });
    // The workers who may take it: its village's and the leaders above; not 里村's worker.
    await expect.poll(() => page.locator('#assign-worker option').count()).toBeGreaterThan(0);
    const options = await page.locator('#assign-worker option').allTextContents();
    expect(options.some((o) => o.includes('镇网格长'))).toBe(true);
    expect(options.some((o) => o.includes('李网格员'))).toBe(false);
    expect(options.some((o) => o.includes('王网格员'))).toBe(false);
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'hands-alert-dialog-1920x1080');

    await page.locator('#assign-worker').selectOption('l-town');
    await page.locator('#assign-submit').click();
    await expect
      .poll(() => page.locator('#alert-dialog-status').textContent())
      .toBe('已转派给 镇网格长，已通知对方');
    const delivered = await hook.waitFor((r) => r.path === '/town' && r.json?.data?.event === 'assigned');
    expect(delivered.json.data.sensorId).toBe(s.sensorId);
    expect(delivered.json.title).toContain('【转派】');
    await expect.poll(() => page.locator('.change-assigned').count()).toBe(1);
    expect(await page.locator('.change-assigned .change-actor').textContent()).toBe('zhao.monitor');
    // The queue behind the dialog shows the new assignee.
    await expect.poll(() => row.locator('.alert-assignee-name').textContent()).toBe('镇网格长');

    await page.locator('#comment-note').fill('已电话联系住户，镇网格长前往');
    await page.locator('#comment-submit').click();
    await expect
      .poll(() => page.locator('.change-commented .change-what').textContent())
      .toBe('已电话联系住户，镇网格长前往');

    await page.locator('#silence-hours').selectOption('8');
    await page.locator('#silence-reason').fill('门磁松动，待更换');
    await page.locator('#silence-submit').click();
    await expect
      .poll(() => page.locator('#alert-dialog-silenced').textContent())
      .toContain('门磁松动，待更换');
    expect(await page.locator('#unsilence-submit').isVisible()).toBe(true);
    const seal = await svc.api('GET', `/api/seals/${s.sensorId}`);
    expect(seal.body.silenced).toMatchObject({ reason: '门磁松动，待更换', by: 'zhao.monitor' });
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'hands-alert-dialog-done-1920x1080');
    await page.locator('#alert-dialog-close').click();

    // The seal list of its village shows it silenced.
    await page.locator('.node-name', { hasText: '史村镇' }).first().click();
    await expect
      .poll(() => page.locator('.seal-row', { hasText: '三组 61 号' }).locator('.tag-silenced').count())
      .toBe(1);
    await screenshot(page, 'hands-silenced-seal-1920x1080');
    expect(problemsOf(page).errors).toEqual([]);
  });

  it('on a phone: the alert dialog and the history search, which finds a resolved alert by a word of its note', async () => {
    const s = await armedHousehold(svc, 'dongcun', '62');
    await publishOpen(svc, s, 1);
    let id = '';
    await expect
      .poll(async () => {
        const open = (await svc.api('GET', `/api/alerts?status=open&sensorId=${s.sensorId}`)).body;
        id = open[0]?.id ?? '';
        return id;
      })
      .not.toBe('');
    const page = await signIn(PHONE);
    const row = page.locator('.alert-row', { hasText: '三组 62 号' });
    await row.waitFor();
    await row.locator('[data-action="detail"]').click();
    await page.locator('#alert-dialog').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('#assign-worker option').count()).toBeGreaterThan(0);
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'hands-alert-dialog-390x844');
    await page.locator('#alert-dialog-close').click();

    await must(
      svc,
      'POST',
      `/api/alerts/${id}/resolve`,
      { outcome: 'falseAlarm', note: '住户家属探视，已登记' },
      200,
    );
    await page.locator('#search-open').click();
    await page.locator('#search-dialog').waitFor({ state: 'visible' });
    await page.locator('#search-status').selectOption('resolved');
    await page.locator('#search-q').fill('家属探视');
    await page.locator('#search-submit').click();
    await expect.poll(() => page.locator('.search-row').count()).toBe(1);
    expect(await page.locator('#search-status-line').textContent()).toBe('共 1 条，第 1–1 条');
    expect(await page.locator('.search-row').textContent()).toContain('误报');
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'hands-search-390x844');
    // A result opens its alert's dialog, over the search.
    await page.locator('.search-open-alert').click();
    await expect.poll(() => page.locator('#alert-dialog-facts').textContent()).toContain('已处理');
    expect(await page.locator('#assign-form').isHidden()).toBe(true);
    await screenshot(page, 'hands-search-result-390x844');
    expect(problemsOf(page).errors).toEqual([]);
  });
});
