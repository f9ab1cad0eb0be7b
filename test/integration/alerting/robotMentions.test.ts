/**
 * Issue 17.6 end to end in the running service: a breach's robot message @-mentions the assignee,
 * and its escalation @-mentions the leader it climbs to, in each vendor's own way
 * (alerting/notifiers/robotMentions.ts cites the documentation):
 * - WeCom: markdown with `<@userid>`, or, with only a phone, `text` with `mentioned_mobile_list`;
 * - DingTalk: `at.atMobiles` / `at.atUserIds`, named with `@…` in the text;
 * - Feishu: `<at id=ou_…></at>` in the card (open_id only).
 *
 * The robots cannot run here: the real HTTP receiver on loopback stands in for all three (a TEST
 * DOUBLE of the robots, answering `{"errcode":0}`), and `#format=` makes the service speak each
 * vendor's format to it. The worker's phone and chat user id come in through the API and a CSV
 * import, as an administrator would give them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../helpers/service.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { armedHousehold, must, publishOpen } from './grid.ts';

describe('@-mentions in robot messages, through the running service', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let robots: WebhookReceiver;

  beforeAll(async () => {
    robots = await startWebhookReceiver();
    svc = await startService({ env: { LOCALE: 'zh-CN', TZ_LOCAL: 'Asia/Shanghai', ESCALATE_AFTER: '3s' } });
    const grid = [
      { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' },
      { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' },
      { id: 'v-wecom', name: '东村', parentId: 'shicun', level: 'village' },
      { id: 'v-phone', name: '西村', parentId: 'shicun', level: 'village' },
      { id: 'v-ding', name: '南村', parentId: 'shicun', level: 'village' },
      { id: 'v-feishu', name: '北村', parentId: 'shicun', level: 'village' },
    ];
    for (const n of grid) await must(svc, 'POST', '/api/grid', n, 201);
    const hook = (path: string, format: string) => `${robots.url}/${path}#format=${format}`;
    // The township's leader is on a DingTalk group, known there by user id.
    await must(
      svc,
      'POST',
      '/api/workers',
      {
        id: 'l-town',
        name: '镇网格长',
        gridId: 'shicun',
        role: 'leader',
        webhook: hook('town', 'dingtalk'),
      },
      201,
    );
    const patched = await must(svc, 'PATCH', '/api/workers/l-town', { chatUserId: 'leader0042' }, 200);
    expect(patched.chatUserId).toBe('leader0042');
    // Markup characters are refused: the id goes into the robots' markup as it is.
    expect((await svc.api('PATCH', '/api/workers/l-town', { chatUserId: '<at id=all>' })).status).toBe(400);
    await must(
      svc,
      'POST',
      '/api/workers',
      {
        id: 'w-wecom',
        name: '王',
        gridId: 'v-wecom',
        role: 'worker',
        phone: '13800138001',
        webhook: hook('wecom', 'wecom'),
        chatUserId: 'WangWei',
      },
      201,
    );
    // The other three through the CSV import, as the administrators' spreadsheets give them.
    const csv = [
      'id,name,gridId,role,phone,webhook,chatUserId',
      `w-phone,赵,v-phone,worker,+86 138 0013 8002,${hook('wecom-phone', 'wecom')},`,
      `w-ding,李,v-ding,worker,13800138003,${hook('ding', 'dingtalk')},`,
      `w-feishu,陈,v-feishu,worker,13800138004,${hook('feishu', 'feishu')},ou_5ad573a6411d72b8305f`,
    ].join('\n');
    const imported = await fetch(`${svc.httpUrl}/api/import/workers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(imported.status, await imported.clone().text()).toBeLessThan(300);
    const listed = (await svc.api('GET', '/api/workers')).body.items as {
      id: string;
      chatUserId: string | null;
    }[];
    expect(listed.find((w) => w.id === 'w-feishu')?.chatUserId).toBe('ou_5ad573a6411d72b8305f');
    expect(listed.find((w) => w.id === 'w-ding')?.chatUserId).toBeNull();
  });
  afterAll(async () => {
    await svc?.cleanup();
    await robots?.close();
  });

  it('each vendor format carries the assignee mention; the escalation mentions the leader', async () => {
    for (const [village, n] of [
      ['v-wecom', '1'],
      ['v-phone', '2'],
      ['v-ding', '3'],
      ['v-feishu', '4'],
    ] as const) {
      const s = await armedHousehold(svc, village, n);
      await publishOpen(svc, s, 1);
    }

    const wecom = (await robots.waitFor((r) => r.path === '/wecom')).json;
    expect(wecom.msgtype).toBe('markdown');
    expect(wecom.markdown.content).toMatch(/<@WangWei>$/);

    const phoneOnly = (await robots.waitFor((r) => r.path === '/wecom-phone')).json;
    expect(phoneOnly.msgtype).toBe('text');
    expect(phoneOnly.text.mentioned_mobile_list).toEqual(['13800138002']);
    expect(phoneOnly.text.content).toContain('开门告警');

    const ding = (await robots.waitFor((r) => r.path === '/ding')).json;
    expect(ding.at).toEqual({ atMobiles: ['13800138003'], atUserIds: [], isAtAll: false });
    expect(ding.markdown.text).toContain('@13800138003');

    const feishu = (await robots.waitFor((r) => r.path === '/feishu')).json;
    expect(feishu.msg_type).toBe('interactive');
    expect(feishu.card.elements[0].text.content).toBe('<at id=ou_5ad573a6411d72b8305f></at>');

    // Nobody acknowledges: after 3 s each alert climbs to the township's leader, mentioned by user id.
    const town = (await robots.waitFor((r) => r.path === '/town', 20_000)).json;
    expect(town.msgtype).toBe('markdown');
    expect(town.at).toEqual({ atMobiles: [], atUserIds: ['leader0042'], isAtAll: false });
    expect(town.markdown.text).toMatch(/@leader0042$/);
  });
});
