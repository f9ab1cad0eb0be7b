/**
 * The command room's hands in the engine, on a moved clock (issue 18.4): a silence holds back every
 * alert of its seal until it ends by itself, and an assignment restarts the escalation for the new
 * assignee and notifies them. The world of engineWorld.ts: real registry and SQLite store in memory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertEngine } from '../../../alerting/engine/alertEngine.ts';
import { auditEntry } from '../../../registry/auditTrail.ts';
import { deliver, engineOf, heartbeat, MIN, open, settle, T0, type World, world } from './engineWorld.ts';

const HOUR = 60 * MIN;
const close = (at: number, seq: number) => ({ ...open(at, seq), door: 'closed' as const });
const audit = (action: string) => () =>
  auditEntry(
    T0,
    { name: 'tester' },
    { entity: 'sensor', entityId: 's1', action, gridId: 'village' },
    null,
    null,
  );

describe("the engine's silences and assignments", () => {
  let w: World;
  let engine: AlertEngine;
  beforeEach(async () => {
    w = await world();
    engine = engineOf(w);
    await engine.start();
  });
  afterEach(async () => {
    await engine.stop();
    w.db.close();
  });

  const open1 = async () => (await engine.listAlerts({ status: 'open' })).filter((a) => a.sensorId === 's1');

  it('a silenced seal raises no breach and no offline alert; at its end, by the clock alone, both come back', async () => {
    await engine.silences.silence(
      { sensorId: 's1', until: T0 + 2 * HOUR, reason: '维修', by: 'tester' },
      audit('silence'),
    );
    deliver(w, heartbeat(T0, 1));
    deliver(w, open(T0 + MIN, 2));
    deliver(w, close(T0 + 2 * MIN, 3));
    // Silent long past the offline window (3 missed beats of 1 min): still nothing while silenced.
    w.clock.set(T0 + HOUR);
    await engine.sweep();
    expect(await open1()).toEqual([]);
    expect(engine.silences.count(w.clock.now())).toBe(1);

    w.clock.set(T0 + 2 * HOUR + MIN);
    expect(engine.silences.of('s1', w.clock.now())).toBeUndefined();
    await engine.sweep();
    expect((await open1()).map((a) => a.type)).toEqual(['offline']);
    deliver(w, open(T0 + 2 * HOUR + 2 * MIN, 4));
    expect((await open1()).map((a) => a.type).sort()).toEqual(['breach']);
    expect(engine.silences.count(w.clock.now())).toBe(0);
  });

  it('an open alert stays open when its seal is silenced; lifting the silence brings new alerts back at once', async () => {
    deliver(w, open(T0, 1));
    const [breach] = await open1();
    await engine.silences.silence(
      { sensorId: 's1', until: T0 + HOUR, reason: 'x', by: 'tester' },
      audit('silence'),
    );
    deliver(w, close(T0 + MIN, 2));
    deliver(w, open(T0 + 2 * MIN, 3));
    // The door closing does not close a breach (a person resolves it), and the new opening adds nothing.
    expect(await open1()).toMatchObject([{ id: breach?.id, count: 1 }]);
    expect(await engine.silences.lift('s1', audit('unsilence'))).toMatchObject({ reason: 'x' });
    expect(await engine.silences.lift('s1', audit('unsilence'))).toBeUndefined();
    deliver(w, close(T0 + 3 * MIN, 4));
    deliver(w, open(T0 + 4 * MIN, 5));
    expect(await open1()).toMatchObject([{ id: breach?.id, count: 2 }]);
  });

  it('refuses a silence that has ended or lasts over 30 days', () => {
    const s = (until: number) => () =>
      engine.silences.silence({ sensorId: 's1', until, reason: 'x', by: 't' }, audit('silence'));
    expect(s(T0)).toThrow(/future/);
    expect(s(T0 + 31 * 24 * HOUR)).toThrow(/30 days/);
  });

  it('an assignment notifies the new assignee at once and gives them one first step before the next level', async () => {
    deliver(w, open(T0, 1));
    const [breach] = await open1();
    expect(breach).toMatchObject({ assignee: 'w', nextEscalationAt: T0 + 5 * MIN });
    // Four minutes in, a monitor gives it to the town's leader: the next level is told 5 min from now.
    w.clock.set(T0 + 4 * MIN);
    const lt = w.registry.worker('lt');
    if (!lt || !breach) throw new Error('set-up');
    const assigned = await engine.assign(breach.id, lt, 'monitor');
    expect(assigned).toMatchObject({ assignee: 'lt', escalationLevel: 0, nextEscalationAt: T0 + 9 * MIN });
    await settle();
    expect(w.email.sent.map((n) => [n.recipient.id, n.data.event])).toContainEqual(['lt', 'assigned']);
    w.clock.set(T0 + 6 * MIN);
    await engine.sweep();
    expect((await open1())[0]).toMatchObject({ escalationLevel: 0 });
    w.clock.set(T0 + 9 * MIN);
    await engine.sweep();
    expect((await open1())[0]).toMatchObject({ escalationLevel: 1 });
    const history = await engine.detail(breach.id);
    expect(history.history.find((h) => h.kind === 'assigned')).toMatchObject({
      actor: 'monitor',
      detail: { from: 'w', to: 'lt' },
    });
  });
});
