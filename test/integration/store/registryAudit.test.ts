import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../app/stores.ts';
import { ManualClock } from '../../../core/clock.ts';
import { EventBus } from '../../../core/eventBus.ts';
import type { ServiceEvents } from '../../../core/events.ts';
import type { AuditQuery, AuditRecord } from '../../../registry/auditTrail.ts';
import { Registry } from '../../../registry/registry.ts';
import { registryStoreBackends } from '../../helpers/registryStoreBackends.ts';

/**
 * The audit trail of the registry's changes (issue 18.2), through the real Registry on both stores:
 * every change to grid nodes, workers, households, sensors, quarantines, windows, tokens and CSV
 * imports is recorded with actor, time, before and after, at the grid node a scoped reader sees it
 * by, never with a secret; and the privacy purge takes a household's entries with its personal data.
 */
const logger = pino({ level: 'silent' });
const T = Date.parse('2026-03-01T08:00:00Z');
const DAY = 86_400_000;
const ops = { name: 'ops' };
const tech = { name: '技术员 token' };

describe.each(registryStoreBackends('registry_audit'))(
  'audit trail of registry changes: $name',
  (backend) => {
    let store: Store;
    let registry: Registry;
    let clock: ManualClock;
    afterEach(async () => store?.close());

    const open = async () => {
      store = await backend.open();
      clock = new ManualClock(T);
      registry = new Registry(store, new EventBus<ServiceEvents>(logger), clock);
      await registry.load();
    };
    /** The trail oldest first, as "entity:id:action@grid by actor". */
    const trail = async (q: Partial<AuditQuery> = {}): Promise<AuditRecord[]> =>
      (await registry.auditPage({ limit: 1000, offset: 0, ...q })).items.reverse();
    const lines = (items: AuditRecord[]) =>
      items.map((e) => `${e.entity}:${e.entityId}:${e.action}@${e.gridId} by ${e.actor}`);
    /** county › town › (v1, v2); household h1 at v1 with sensor s1. */
    const seed = async () => {
      await registry.createGridNode({ id: 'county', name: '县', parentId: null, level: 'county' }, ops);
      await registry.createGridNode({ id: 'town', name: '镇', parentId: 'county', level: 'town' }, ops);
      for (const v of ['v1', 'v2'])
        await registry.createGridNode({ id: v, name: v, parentId: 'town', level: 'village' }, ops);
      await registry.createHousehold(
        { id: 'h1', gridId: 'v1', address: '东村三组 12 号', contact: '张三 13800000000' },
        ops,
      );
      return registry.createSensor({ id: 's1', householdId: 'h1' }, tech);
    };

    it('grid nodes: created, renamed, moved and removed, each at the node a scoped reader sees it by', async () => {
      await open();
      await seed();
      clock.advance(1000);
      await registry.updateGridNode('v2', { name: '西村' }, ops);
      await registry.updateGridNode('v2', { parentId: 'county' }, ops);
      await registry.deleteGridNode('v2', { name: 'admin' });
      const grid = await trail({ entity: 'grid' });
      expect(lines(grid)).toEqual([
        'grid:county:create@county by ops',
        'grid:town:create@town by ops',
        'grid:v1:create@v1 by ops',
        'grid:v2:create@v2 by ops',
        'grid:v2:update@v2 by ops',
        // A move lies where the old and the new parent meet; a removal at the parent.
        'grid:v2:update@county by ops',
        'grid:v2:delete@county by admin',
      ]);
      expect(grid[4]).toMatchObject({
        at: T + 1000,
        before: { id: 'v2', name: 'v2', parentId: 'town' },
        after: { id: 'v2', name: '西村', parentId: 'town' },
      });
      expect(grid[6]).toMatchObject({ before: { id: 'v2', parentId: 'county' }, after: null });
      // A scoped reader of the town sees the entries at the nodes of its subtree as it is now: the
      // town's and v1's, not the county's nor those of v2, which left the town and then the grid.
      const town = [...registry.tree.subtree('town')].map((n) => n.id);
      expect(lines(await trail({ entity: 'grid', withinGridIds: town }))).toEqual([
        'grid:town:create@town by ops',
        'grid:v1:create@v1 by ops',
      ]);
    });

    it("workers: created, edited and removed; the webhook's key is masked as in every answer", async () => {
      await open();
      await seed();
      const webhook = 'https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef';
      await registry.createWorker({ id: 'w1', name: '李四', gridId: 'v1', role: 'worker', webhook }, ops);
      await registry.updateWorker('w1', { gridId: 'v2', phone: '13900000000' }, ops);
      await registry.deleteWorker('w1', ops);
      const workers = await trail({ entity: 'worker', entityId: 'w1' });
      expect(lines(workers)).toEqual([
        'worker:w1:create@v1 by ops',
        'worker:w1:update@town by ops',
        'worker:w1:delete@v2 by ops',
      ]);
      expect(workers[1]).toMatchObject({
        before: { gridId: 'v1', phone: null },
        after: { gridId: 'v2', phone: '13900000000' },
      });
      expect(JSON.stringify(workers)).not.toContain('0123456789abcdef');
      expect(workers[0]?.after).toMatchObject({
        webhook: expect.stringMatching(/^https:\/\/oapi\.dingtalk\.com\/…/),
      });
    });

    it('households, sensors (commissioning too), quarantines and windows: each change with before and after, never a secret', async () => {
      await open();
      const { secret } = await seed();
      await registry.updateHousehold('h1', { contact: '张三 13900000000' }, ops);
      await registry.updateSensor('s1', { friendlyName: '门磁 1' }, tech);
      await registry.setCommissioning('s1', T + 30 * 60_000, tech);
      await registry.setCommissioning('s1', null, tech);
      const q = await registry.createQuarantine({ householdId: 'h1', start: T, end: T + 14 * DAY }, ops);
      await registry.endQuarantine(q.id, T + 7 * DAY, ops);
      const hw = await registry.createWindow(
        { householdId: 'h1', start: T + DAY, end: T + DAY + 3_600_000, reason: '上门核酸', by: '王医生' },
        ops,
      );
      await registry.cancelWindow(hw.id, ops);
      await registry.createWindow(
        { gridId: 'town', start: T, end: T + 3_600_000, reason: '送餐', by: '村委' },
        ops,
      );
      await registry.createSensor({ id: 's2', householdId: 'h1' }, tech);
      await registry.deleteSensor('s2', tech);
      await registry.createHousehold({ id: 'h-mistake', gridId: 'v2', address: '错误' }, ops);
      await registry.deleteHousehold('h-mistake', ops);
      const all = await trail();
      expect(lines(all.filter((e) => e.entity !== 'grid'))).toEqual([
        'household:h1:create@v1 by ops',
        'sensor:s1:create@v1 by 技术员 token',
        'household:h1:update@v1 by ops',
        'sensor:s1:update@v1 by 技术员 token',
        'sensor:s1:commissioning@v1 by 技术员 token',
        'sensor:s1:endCommissioning@v1 by 技术员 token',
        `quarantine:${q.id}:create@v1 by ops`,
        `quarantine:${q.id}:end@v1 by ops`,
        `window:${hw.id}:create@v1 by ops`,
        `window:${hw.id}:cancel@v1 by ops`,
        expect.stringMatching(/^window:.+:create@town by ops$/),
        'sensor:s2:create@v1 by 技术员 token',
        'sensor:s2:delete@v1 by 技术员 token',
        'household:h-mistake:create@v2 by ops',
        'household:h-mistake:delete@v2 by ops',
      ]);
      const find = (entity: string, action: string) =>
        all.find((e) => e.entity === entity && e.action === action);
      expect(find('household', 'update')).toMatchObject({
        householdId: 'h1',
        before: { contact: '张三 13800000000' },
        after: { contact: '张三 13900000000' },
      });
      expect(find('sensor', 'commissioning')).toMatchObject({
        householdId: 'h1',
        before: { commissioningUntil: null },
        after: { commissioningUntil: T + 30 * 60_000 },
      });
      expect(find('quarantine', 'end')).toMatchObject({
        before: { end: T + 14 * DAY },
        after: { end: T + 7 * DAY },
      });
      expect(find('window', 'cancel')).toMatchObject({
        householdId: 'h1',
        before: { reason: '上门核酸' },
        after: null,
      });
      // Neither the device secret nor its hash, in any entry.
      const text = JSON.stringify(all);
      expect(text).not.toContain(secret);
      expect(text).not.toMatch(/secretHash|scrypt/);
    });

    it('tokens: issued and revoked with the token record, never its value or hash; a refused revocation writes nothing', async () => {
      await open();
      await seed();
      const { token: first, value: firstValue } = await registry.createToken(
        { role: 'admin', gridId: null, name: 'root' },
        ops,
      );
      const { token, value } = await registry.createToken(
        { role: 'technician', gridId: 'v1', name: '安装队' },
        ops,
      );
      await registry.revokeToken(token.id, { name: 'root' });
      await registry.revokeToken(token.id, { name: 'root' }); // already revoked: nothing changes
      await expect(registry.revokeToken(first.id, ops)).rejects.toMatchObject({ code: 'conflict' });
      const tokens = await trail({ entity: 'token' });
      expect(lines(tokens)).toEqual([
        `token:${first.id}:create@null by ops`,
        `token:${token.id}:create@v1 by ops`,
        `token:${token.id}:revoke@v1 by root`,
      ]);
      expect(tokens[2]).toMatchObject({
        before: { name: '安装队', revokedAt: null },
        after: { revokedAt: T },
      });
      const text = JSON.stringify(tokens);
      for (const secret of [value, firstValue]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/tokenHash|token_hash/);
    });

    it('a CSV import writes one entry per row (action import) in its transaction; a refused import writes none', async () => {
      await open();
      await seed();
      const result = await registry.importRecords(
        {
          households: [
            { id: 'h2', gridId: 'v2', address: '西村 1 号' },
            { id: 'h3', gridId: 'v2', address: '西村 2 号' },
          ],
        },
        { name: 'wang.li' },
      );
      expect(result.count).toBe(2);
      await registry.importRecords({ sensors: [{ id: 's2', householdId: 'h2' }] }, { name: 'wang.li' });
      const imported = await trail({ actor: 'wang.li' });
      expect(lines(imported)).toEqual([
        'household:h2:import@v2 by wang.li',
        'household:h3:import@v2 by wang.li',
        'sensor:s2:import@v2 by wang.li',
      ]);
      expect(imported[2]).toMatchObject({
        householdId: 'h2',
        before: null,
        after: { id: 's2', householdId: 'h2' },
      });
      expect(JSON.stringify(imported[2])).not.toMatch(/secret/i);
      // The database refuses a row (h2 again): nothing of the import stays, entries neither.
      await expect(
        registry.importRecords(
          {
            households: [
              { id: 'h4', gridId: 'v2', address: 'x' },
              { id: 'h2', gridId: 'v2', address: 'y' },
            ],
          },
          { name: 'wang.li' },
        ),
      ).rejects.toThrow();
      expect((await trail({ actor: 'wang.li' })).length).toBe(3);
    });

    it("the privacy purge deletes a household's entries (its own, its sensors', quarantines', windows') in its transaction and leaves one purge entry", async () => {
      await open();
      await seed();
      await registry.createHousehold({ id: 'h2', gridId: 'v2', address: '西村 9 号', contact: '赵六' }, ops);
      await registry.createQuarantine({ householdId: 'h1', start: T, end: T + 14 * DAY }, ops);
      await registry.createQuarantine({ householdId: 'h2', start: T }, ops);
      await registry.createWindow(
        { householdId: 'h1', start: T + DAY, end: T + DAY + 3_600_000, reason: '上门核酸', by: '王医生' },
        ops,
      );
      await registry.setCommissioning('s1', T + 60_000, tech);
      await registry.createWorker({ id: 'w1', name: '李四', gridId: 'v1', role: 'worker' }, ops);
      // A household registered by mistake and deleted: its entries go once the retention has passed.
      await registry.createHousehold(
        { id: 'h-mistake', gridId: 'v1', address: '误登记 5 号', contact: '钱七' },
        ops,
      );
      await registry.deleteHousehold('h-mistake', ops);

      clock.set(T + 14 * DAY + 30 * DAY);
      const purged = await registry.purgeExpiredHouseholds(30 * DAY);
      expect(purged).toMatchObject({ households: ['h1'], auditEntries: 7 });
      const kept = await trail({ entity: 'household' });
      expect(lines(kept)).toEqual([
        'household:h2:create@v2 by ops',
        'household:h1:purge@v1 by SealWatch service',
      ]);
      expect(kept[1]).toMatchObject({ at: clock.now(), before: null, after: null });
      expect(lines(await trail({ entity: 'sensor' }))).toEqual([]);
      expect(lines(await trail({ entity: 'quarantine' }))).toEqual([expect.stringMatching(/@v2 by ops$/)]);
      expect(lines(await trail({ entity: 'window' }))).toEqual([]);
      // Kept entries hold nothing of the purged households: neither address nor contact.
      const text = JSON.stringify(await trail());
      for (const personal of ['东村三组 12 号', '张三', '误登记 5 号', '钱七'])
        expect(text).not.toContain(personal);
      expect(text).toContain('西村 9 号'); // h2's quarantine is open: its household's data stays
      expect(lines(await trail({ entity: 'worker' }))).toEqual(['worker:w1:create@v1 by ops']);
      // Another run purges nothing more.
      expect(await registry.purgeExpiredHouseholds(30 * DAY)).toEqual({
        households: [],
        doorEvents: 0,
        auditEntries: 0,
      });
    });
  },
);
