/**
 * The administrator's screens (issue 18.5), in headless Chromium against the real service: an admin
 * signs in as a person, creates a household and a sensor in forms (the sensor's secret is shown once
 * and works), sees a refused form say what the API says, and uploads a CSV file with one bad row:
 * the report names the row and nothing is imported. Every screen is checked with axe-core and
 * photographed at wall and phone size.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAccessibilityProblems } from '../../helpers/accessibility.ts';
import { launchBrowser, openPage, screenshot } from '../../helpers/browser.ts';
import { connectSensor } from '../../helpers/mqtt.ts';
import { startService } from '../../helpers/service.ts';

/** The two screens every page is made for: a grid worker's phone and the command room's wall. */
const [PHONE, WALL] = [
  { width: 390, height: 844 },
  { width: 1920, height: 1080 },
];
const PASSWORD = '管理员-password-2026';
/** Two cores shared with other runs: a password hash or a page can take seconds, not the poll's default 1 s. */
const SLOW = { timeout: 10_000 };
describe("the administrator's screens", () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [svc, browser] = await Promise.all([startService(), launchBrowser()]);
    // The grid and a worker as an administrator's curl would make them; the admin person too.
    const seed: Array<[string, Record<string, unknown>]> = [
      ['/api/grid', { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' }],
      ['/api/grid', { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' }],
      [
        '/api/workers',
        { id: 'w-wang', name: '王芳', gridId: 'shicun', role: 'worker', phone: '13800000001' },
      ],
      ['/api/users', { username: 'admin.li', password: PASSWORD, role: 'admin', gridId: null }],
      ['/api/users', { username: 'zhao.monitor', password: PASSWORD, role: 'monitor', gridId: 'shicun' }],
    ];
    for (const [path, body] of seed) expect((await svc.api('POST', path, body)).status, path).toBe(201);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await svc?.cleanup();
  });

  const signIn = async (page: Page, screen = 'households') => {
    // A step that cannot happen fails in seconds, naming the locator, not at the test's timeout.
    page.setDefaultTimeout(10_000);
    await page.goto(`${svc.httpUrl}/admin#${screen}`);
    await page.locator('#login-username').fill('admin.li');
    await page.locator('#login-password').fill(PASSWORD);
    await page.locator('#login-submit').click();
    await page.locator('#admin').waitFor({ state: 'visible' });
  };

  /** Fills the open form's fields by the start of their labels (a select by its option's value), then submits it. */
  const submitForm = async (page: Page, values: Record<string, string>, button = '创建') => {
    const form = page.locator('#admin .admin-form');
    for (const [label, value] of Object.entries(values)) {
      const field = form.getByLabel(new RegExp(`^${label}`));
      if ((await field.evaluate((node) => node.tagName)) === 'SELECT') await field.selectOption(value);
      else await field.fill(value);
    }
    await form.getByRole('button', { name: button, exact: true }).click();
  };

  it('an admin creates a household and a sensor in forms and uploads a CSV with one bad row: the report names it, nothing is imported', async () => {
    const { page, problems, context } = await openPage(browser, { viewport: WALL, locale: 'zh-CN' });
    contexts.push(context);
    await page.goto(`${svc.httpUrl}/admin`);
    await page.locator('#login-username').waitFor();
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'admin-signin-1920x1080');
    await signIn(page);
    expect(await page.locator('#who-name').textContent()).toBe('admin.li');

    // A household, in the form.
    await page.getByRole('button', { name: '新建 · 住户' }).click();
    await submitForm(page, { 编号: 'h-1', 网格节点: 'shicun', 地址: '史村镇东村三组 12 号' });
    await page.locator('.notice-box', { hasText: '已创建 h-1' }).waitFor();
    await page.locator('.admin-table tr[data-id="h-1"]').waitFor();
    expect((await svc.api('GET', '/api/households')).body.items.map((h: { id: string }) => h.id)).toEqual([
      'h-1',
    ]);

    // A refused form shows the API's own message and details, next to the form, the field marked.
    const bad = { id: 'h 2', gridId: 'shicun', address: '史村镇东村三组 13 号' };
    const refusal = (await svc.api('POST', '/api/households', bad)).body.error;
    expect(refusal.details.length).toBeGreaterThan(0);
    await page.getByRole('button', { name: '新建 · 住户' }).click();
    await submitForm(page, { 编号: bad.id, 网格节点: bad.gridId, 地址: bad.address });
    const problem = page.locator('.admin-form .notice-box[data-kind="problem"]');
    await problem.waitFor();
    expect(await problem.locator('.problem-message').textContent()).toBe(refusal.message);
    expect(await problem.locator('.problem-details li').allTextContents()).toEqual(
      refusal.details.map((d: { path: string; message: string }) => `${d.path}: ${d.message}`),
    );
    expect(await page.getByLabel('编号').getAttribute('aria-invalid')).toBe('true');
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'admin-form-error-1920x1080');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'admin-form-error-390x844', true);
    await page.setViewportSize(WALL);
    await page.getByRole('button', { name: '取消' }).click();

    // A sensor: its secret shown once, and it is the one the broker takes.
    await page.getByRole('link', { name: '门磁' }).click();
    await page.getByRole('button', { name: '新建 · 门磁' }).click();
    await submitForm(page, { 编号: 's-1', 住户: 'h-1' });
    const secret = (await page.locator('.secret-box .secret-value').textContent()) as string;
    expect(secret.length).toBeGreaterThan(10);
    const sensor = await connectSensor(svc.mqttUrl, 's-1', secret);
    await sensor.endAsync();
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'admin-sensor-secret-1920x1080');
    await page.getByRole('button', { name: '我已保存，关闭' }).click();
    expect(await page.locator('.secret-box').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // A CSV with one bad row (line 3: an unknown grid node): the report names it; nothing is imported.
    await page.getByRole('link', { name: '表格导入' }).click();
    await page.getByLabel('导入内容').selectOption('households');
    const csv =
      'id,gridId,address,contact\nh-10,shicun,史村镇东村四组 1 号,\nh-11,nowhere,史村镇东村四组 2 号,\nh-12,shicun,史村镇东村四组 3 号,李四\n';
    const direct = await fetch(`${svc.httpUrl}/api/import/households`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'text/csv' },
      body: csv,
    }).then(
      (r) =>
        r.json() as Promise<{
          error: { message: string; details: { line: number; column?: string; message: string }[] };
        }>,
    );
    expect(direct.error.details.map((d) => d.line)).toEqual([3]);
    await page
      .getByLabel(/选择 CSV 文件/)
      .setInputFiles({ name: 'households.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: '上传并导入' }).click();
    const report = page.locator('.import-report .report');
    await report.waitFor();
    expect(await page.locator('.notice-box .problem-message').textContent()).toBe(direct.error.message);
    expect(await report.locator('h3').textContent()).toContain('没有导入任何记录');
    const row = report.locator('tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.locator('th').textContent()).toBe('3');
    expect(await row.locator('td').nth(0).textContent()).toBe(direct.error.details[0]?.column ?? '—');
    expect(await row.locator('td').nth(1).textContent()).toBe(direct.error.details[0]?.message);
    expect(await row.locator('td').nth(2).textContent()).toBe('h-11,nowhere,史村镇东村四组 2 号,');
    expect((await svc.api('GET', '/api/households')).body.items.map((h: { id: string }) => h.id)).toEqual([
      'h-1',
    ]);
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'admin-import-report-1920x1080');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'admin-import-report-390x844', true);
    expect(problems.errors).toEqual([]);
    expect(problems.dialogs).toEqual([]);
  });

  it('users, tokens (shown once), a policy and the audit log, in forms', async () => {
    const { page, problems, context } = await openPage(browser, { viewport: WALL, locale: 'zh-CN' });
    contexts.push(context);
    await signIn(page, 'users');
    const admin = page.locator('#admin');

    // A user for the worker 王芳, then disabled in the edit form.
    await page.getByRole('button', { name: '新建 · 用户' }).click();
    await submitForm(page, {
      用户名: 'wang.fang',
      密码: '网格员-password-2026',
      角色: 'worker',
      网格节点: 'shicun',
      对应网格员: 'w-wang',
    });
    const userRow = page.locator('.admin-table tbody tr', { hasText: 'wang.fang' });
    await userRow.waitFor();
    expect(await userRow.textContent()).toContain('史村镇');
    await userRow.getByRole('button', { name: '修改' }).click();
    await admin.getByLabel('已停用').check();
    await page.getByRole('button', { name: '保存修改' }).click();
    await page.locator('.notice-box', { hasText: '已保存 wang.fang' }).waitFor();
    const users = (await svc.api('GET', '/api/users')).body.items;
    expect(users.find((u: { username: string }) => u.username === 'wang.fang')).toMatchObject({
      role: 'worker',
      gridId: 'shicun',
      workerId: 'w-wang',
      disabled: true,
    });

    // A token: shown once, works at once, and stops at once when revoked.
    await page.getByRole('link', { name: '访问令牌' }).click();
    await page.getByRole('button', { name: '新建 · 访问令牌' }).click();
    await submitForm(page, { 名称: '大屏', 角色: 'monitor', 网格节点: 'shicun' });
    const token = (await page.locator('.secret-box .secret-value').textContent()) as string;
    const asToken = () => fetch(`${svc.httpUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect((await asToken()).status).toBe(200);
    await screenshot(page, 'admin-token-once-1920x1080');
    const tokenRow = page.locator('.admin-table tbody tr', { hasText: '大屏' });
    await tokenRow.getByRole('button', { name: '吊销' }).click();
    await tokenRow.getByRole('button', { name: '确认删除 大屏？' }).click();
    await page.locator('.notice-box', { hasText: '已删除 大屏' }).waitFor();
    expect((await asToken()).status).toBe(401);
    expect(await page.locator('.admin-table tbody tr', { hasText: '大屏' }).textContent()).toContain(
      '已吊销',
    );

    // A policy: set at the root, and a refused value shown as the API words it.
    await page.getByRole('link', { name: '策略' }).click();
    await page.locator('.policy-view form').waitFor();
    await submitForm(page, { 每日开门次数上限: '3' }, '保存修改');
    await page.locator('.notice-box', { hasText: 'quwo 的策略已保存' }).waitFor();
    expect((await svc.api('GET', '/api/grid/quwo/policy')).body.set).toEqual({ opensPerDay: 3 });
    await submitForm(page, { 闯入宽限: 'soon' }, '保存修改');
    const refused = (await svc.api('PUT', '/api/grid/quwo/policy', { breachGrace: 'soon' })).body.error;
    await expect
      .poll(() => page.locator('.admin-form .problem-message').textContent(), SLOW)
      .toBe(refused.message);
    await screenshot(page, 'admin-policy-error-1920x1080');

    // The audit log, filtered by the person: what the API counts, page by page.
    await page.getByRole('link', { name: '操作日志' }).click();
    await admin.getByLabel('操作人').fill('admin.li');
    await page.getByRole('button', { name: '查询', exact: true }).click();
    const total = Number(
      (
        await fetch(`${svc.httpUrl}/api/audit?actor=admin.li&limit=1`, {
          headers: { authorization: `Bearer ${svc.adminToken}` },
        })
      ).headers.get('x-total-count'),
    );
    expect(total).toBeGreaterThan(2);
    await expect.poll(() => page.locator('.list-count').textContent(), SLOW).toBe(`共 ${total} 条`);
    const actors = await page.locator('.admin-table tbody tr td:nth-of-type(1)').allTextContents();
    expect(new Set(actors)).toEqual(new Set(['admin.li']));
    await screenshot(page, 'admin-audit-filtered-1920x1080');
    expect(problems.errors).toEqual([]);
  });

  it("a quarantine and a window through a household's schedule; a clean sensors CSV shows each secret once", async () => {
    const { page, problems, context } = await openPage(browser, { viewport: WALL, locale: 'zh-CN' });
    contexts.push(context);
    expect(
      (await svc.api('POST', '/api/households', { id: 'h-q', gridId: 'shicun', address: '史村镇西村 1 号' }))
        .status,
    ).toBe(201);
    await signIn(page, 'quarantines');
    const admin = page.locator('#admin');

    // The browser's local time (Asia/Shanghai here) goes to the API as RFC 3339.
    await admin.getByRole('button', { name: '新建 · 隔离' }).click();
    await submitForm(page, { 住户: 'h-q', 开始: '2026-12-01T08:00:00' });
    await admin.locator('.notice-box', { hasText: '已创建' }).waitFor();
    const [quarantine] = (await svc.api('GET', '/api/households/h-q/schedule')).body.quarantines;
    expect(quarantine).toMatchObject({ householdId: 'h-q', start: '2026-12-01T00:00:00.000Z', end: null });
    // Ended by editing its end.
    await admin
      .locator(`.admin-table tr[data-id="${quarantine.id}"]`)
      .getByRole('button', { name: '修改' })
      .click();
    await submitForm(page, { 结束: '2026-12-15T08:00:00' }, '保存修改');
    await admin.locator('.notice-box', { hasText: '已保存' }).waitFor();
    expect((await svc.api('GET', '/api/households/h-q/schedule')).body.quarantines[0].end).toBe(
      '2026-12-15T00:00:00.000Z',
    );

    // A window for the household, then cancelled.
    await page.getByRole('link', { name: '授权时段' }).click();
    await admin.getByRole('button', { name: '新建 · 授权时段' }).click();
    await submitForm(page, {
      住户: 'h-q',
      开始: '2026-12-05T09:00:00',
      结束: '2026-12-05T10:00:00',
      事由: '上门核酸',
      执行人: '王芳',
    });
    const windowRow = admin.locator('.admin-table tbody tr', { hasText: '上门核酸' });
    await windowRow.waitFor();
    await windowRow.getByRole('button', { name: '删除' }).click();
    await windowRow.getByRole('button', { name: /确认删除/ }).click();
    await admin.locator('.notice-box', { hasText: '已删除' }).waitFor();
    expect((await svc.api('GET', '/api/households/h-q/schedule')).body.windows).toEqual([]);

    // A clean sensors file: imported, each secret shown once.
    await page.getByRole('link', { name: '表格导入' }).click();
    await admin.getByLabel('导入内容').selectOption('sensors');
    await admin.getByLabel(/选择 CSV 文件/).setInputFiles({
      name: 'sensors.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('id,householdId\ns-q1,h-q\ns-q2,h-q\n'),
    });
    await admin.getByRole('button', { name: '上传并导入' }).click();
    await admin.locator('.notice-box', { hasText: '导入成功：2 条' }).waitFor();
    const secrets = await admin.locator('.secret-box .secret-value').allTextContents();
    expect(secrets).toHaveLength(2);
    await (await connectSensor(svc.mqttUrl, 's-q2', secrets[1] as string)).endAsync();
    expect(problems.errors).toEqual([]);
  });

  it('a person who is not an administrator is told so and shown nothing to manage', async () => {
    const { page, context } = await openPage(browser, { viewport: PHONE, locale: 'zh-CN' });
    contexts.push(context);
    await page.goto(`${svc.httpUrl}/admin`);
    await page.locator('#login-username').fill('zhao.monitor');
    await page.locator('#login-password').fill(PASSWORD);
    await page.locator('#login-submit').click();
    await page.locator('#not-admin').waitFor();
    expect(await page.locator('#not-admin').textContent()).toContain('不是管理员');
    expect(await page.locator('#admin').isHidden()).toBe(true);
    expect(await seriousAccessibilityProblems(page)).toEqual([]);
  });

  it('every screen passes axe-core at wall and phone size', async () => {
    const { page, problems, context } = await openPage(browser, { viewport: WALL, locale: 'zh-CN' });
    contexts.push(context);
    await signIn(page, 'grid');
    // Every screen the menu offers.
    const screens = (await page
      .locator('.admin-tab')
      .evaluateAll((links) => links.map((a) => (a.getAttribute('href') as string).slice(1)))) as string[];
    expect(screens.length).toBe(11);
    for (const viewport of [WALL, PHONE]) {
      await page.setViewportSize(viewport);
      for (const name of screens) {
        await page.goto(`${svc.httpUrl}/admin#${name}`);
        await page.locator(`#screen[data-screen="${name}"]`).waitFor();
        await page.waitForLoadState('networkidle');
        expect({ name, problems: await seriousAccessibilityProblems(page) }).toEqual({ name, problems: [] });
        await screenshot(page, `admin-${name}-${viewport.width}x${viewport.height}`, viewport === PHONE);
      }
    }
    // English: the screen and its menu relabel at once, in place.
    await page.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => page.locator('#screen-title').textContent(), SLOW).toBe('Audit log');
    expect(await page.locator('.admin-tab').allTextContents()).toContain('Households');
    await screenshot(page, 'admin-audit-en-390x844', true);
    expect(problems.errors).toEqual([]);
  });
});
