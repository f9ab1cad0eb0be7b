/**
 * The engine's decision application with a moved clock, in the world of engineWorld.ts (the real
 * Registry and SQLite alert store in memory, the real bus, a recording notifier DOUBLE); each
 * `describe` is one kind of decision.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertBatch } from '../../../alerting/alertStore.ts';
import type { AlertEngine } from '../../../alerting/engine/alertEngine.ts';
import { DailyReportJob } from '../../../alerting/engine/dailyReportJob.ts';
import { createEngineFeed, undecided } from '../../../app/multiInstance.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';
import { initialSealState, type SealState } from '../../../core/sealState.ts';
import { SqliteAlertStore } from '../../../storage/sqlite/alertStore.ts';
import {
  deliver,
  engineOf,
  heartbeat,
  logger,
  MIN,
  open,
  settle,
  T0,
  type World,
  world,
} from './engineWorld.ts';

describe('alert engine', () => {
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

  it('an armed open raises one breach, queues and delivers the worker’s e-mail, tells the bus and telemetry', async () => {
    deliver(w, open(T0));
    const [alert] = await engine.listAlerts({ status: 'open' });
    expect(alert).toMatchObject({
      type: 'breach',
      sensorId: 's1',
      assignee: 'w',
      count: 1,
      nextEscalationAt: T0 + 5 * MIN,
    });
    await settle();
    expect(w.email.sent.map((n) => n.recipient.id)).toEqual(['w']);
    expect(w.email.sent[0]?.view.action?.url).toMatch(/^https:\/\/sw\.example\.org\/ack\//);
    expect(w.changes[0]).toMatchObject({
      change: 'opened',
      alert: { gridId: 'village', address: '三组 12 号' },
    });
    expect(w.points[0]).toMatchObject({
      measurement: 'alert',
      tags: { type: 'breach', grid: 'village', sensor: 's1', household: 'h1', change: 'opened' },
      fields: { count: 1, severity: 3 },
    });
    const detail = await engine.detail(alert!.id);
    expect(detail.deliveries).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
  });

  it("only a delivery's outcome is written as replayable (its commit does not wait for the disk)", async () => {
    // A second engine on the same world, whose store records every batch it is handed.
    await engine.stop();
    const batches: AlertBatch[] = [];
    const real = new SqliteAlertStore(w.db);
    const recording = Object.assign(Object.create(real) as SqliteAlertStore, {
      apply: (b: AlertBatch) => {
        batches.push(b);
        return real.apply(b);
      },
    });
    engine = engineOf(w, {}, undefined, { store: recording });
    await engine.start();
    deliver(w, open(T0));
    await settle();
    expect(w.email.sent).toHaveLength(1);
    const replayable = batches.filter((b) => b.replayable);
    expect(replayable).toHaveLength(1);
    expect(Object.keys(replayable[0]!).sort()).toEqual(['changes', 'outboxUpdates', 'replayable']);
    expect(replayable[0]!.outboxUpdates?.[0]?.status).toBe('delivered');
    // The alert and its outbox row waited for the disk.
    expect(batches.find((b) => b.outbox?.length)?.replayable).toBeUndefined();
  });

  it('escalates at each step measured from the opening, and acknowledging stops it', async () => {
    deliver(w, open(T0));
    const id = (await engine.listAlerts({ status: 'open' }))[0]!.id;
    w.clock.set(T0 + 5 * MIN - 1);
    await engine.sweep();
    expect((await engine.getAlert(id)).escalationLevel).toBe(0);
    w.clock.set(T0 + 5 * MIN);
    await engine.sweep();
    expect(await engine.getAlert(id)).toMatchObject({ escalationLevel: 1, nextEscalationAt: T0 + 15 * MIN });
    await settle();
    const about = (alertId: string) => w.email.sent.filter((n) => n.data.alertId === alertId);
    expect(about(id).map((n) => n.recipient.id)).toEqual(['w', 'lt']);
    await engine.acknowledge(id, 'lt');
    w.clock.set(T0 + 60 * MIN);
    await engine.sweep();
    await settle();
    expect(await engine.getAlert(id)).toMatchObject({ status: 'acknowledged', escalationLevel: 1 });
    expect((await engine.getAlert(id)).nextEscalationAt).toBeUndefined();
    expect(about(id)).toHaveLength(2);
  });

  it('a restart resumes from the database: overdue escalation once, no re-raise, nothing resent', async () => {
    deliver(w, open(T0));
    const id = (await engine.listAlerts({ status: 'open' }))[0]!.id;
    await settle();
    await engine.stop();
    w.clock.set(T0 + 16 * MIN); // both steps passed while we were down
    engine = engineOf(w);
    await engine.start();
    await engine.sweep();
    await settle();
    expect((await engine.getAlert(id)).escalationLevel).toBe(2);
    expect(w.email.sent.map((n) => n.recipient.id).sort()).toEqual(['lc', 'lt', 'w']);
    deliver(w, open(T0 + 17 * MIN, 2));
    expect(await engine.listAlerts({ status: 'open' })).toHaveLength(1);
    expect((await engine.getAlert(id)).count).toBe(2);
    await engine.sweep();
    await settle();
    expect(w.email.sent).toHaveLength(3);
  });

  it('offline: nothing during the start-up grace, an alert one interval after the deadline, resolved by the next message', async () => {
    deliver(w, heartbeat(T0));
    w.clock.set(T0 + 3 * MIN); // deadline (3 × 60 s) reached: hold for an outage to show
    await engine.sweep();
    expect(await engine.listAlerts({ status: 'open' })).toHaveLength(0);
    w.clock.set(T0 + 4 * MIN);
    await engine.sweep();
    const [offline] = await engine.listAlerts({ status: 'open' });
    expect(offline).toMatchObject({ type: 'offline', sensorId: 's1', severity: 'warning' });
    deliver(w, heartbeat(T0 + 5 * MIN, 2));
    expect(await engine.getAlert(offline!.id)).toMatchObject({
      status: 'resolved',
      autoResolveReason: 'backOnline',
    });
  });

  it('after a start, offline detection waits until the log-in queue has drained (one window after it was last seen)', async () => {
    await engine.stop();
    let backlog = 500;
    engine = engineOf(w, {}, undefined, { connectBacklog: () => backlog });
    await engine.start(); // at T0; s1 was never heard from: without a queue, offline at T0 + 4 min
    w.clock.set(T0 + 10 * MIN);
    await engine.sweep(); // seals still queueing to log in: the grace starts again
    backlog = 0;
    w.clock.set(T0 + 14 * MIN - 1); // window (3 min) + hold (1 min) after the queue was last seen
    await engine.sweep();
    expect(await engine.listAlerts({ status: 'open' })).toHaveLength(0);
    w.clock.set(T0 + 14 * MIN);
    await engine.sweep();
    expect(await engine.listAlerts({ status: 'open' })).toMatchObject([{ type: 'offline', sensorId: 's1' }]);
  });

  it('a feed reader that crashed mid-group decides no message twice: the mark is written with the decisions', async () => {
    await engine.stop();
    const feed = createEngineFeed();
    engine = engineOf(w, {}, undefined, { committedFeed: feed.subscribe });
    await engine.start();
    const group = [open(T0, 1), heartbeat(T0 + 1, 2), open(T0 + 2, 3)].map((msg) => {
      const before = w.states.get(msg.sensorId) ?? initialSealState(msg.sensorId, msg.receivedAt);
      const after: SealState = {
        ...before,
        lastSeen: msg.receivedAt,
        door: msg.kind === 'door' ? msg.door : before.door,
      };
      w.states.set(msg.sensorId, after);
      return { message: msg, before, after, householdId: 'h1', gridId: 'village' };
    });
    const store = new SqliteAlertStore(w.db);
    // The reader dies after the first two messages of the group.
    for (const { event, mark } of undecided('7:42', group, await store.getState('sealFeed.decided')).slice(
      0,
      2,
    ))
      await feed.deliver(event, mark);
    expect(await store.getState('sealFeed.decided')).toBe('7:42#0'); // the heartbeat decided nothing
    await engine.stop();

    engine = engineOf(w, {}, undefined, { committedFeed: feed.subscribe });
    await engine.start();
    const again = undecided('7:42', group, await store.getState('sealFeed.decided'));
    expect(again.map((x) => x.mark.value)).toEqual(['7:42#1', '7:42#2']);
    for (const { event, mark } of again) await feed.deliver(event, mark);
    const [breach] = await engine.listAlerts({ status: 'open' });
    expect(breach).toMatchObject({ type: 'breach', count: 2 }); // the first opening once, the second once
    expect(await store.getState('sealFeed.decided')).toBe('7:42#2');
  });

  it('a write whose answer was lost (committed, yet failed for the engine): memory is read again before the next decision', async () => {
    await engine.stop();
    /** The real store behind a connection that can lose a COMMIT's answer, as PostgreSQL's can. */
    class AnswerLosingStore extends SqliteAlertStore {
      loseNext = false;
      override apply(batch: Parameters<SqliteAlertStore['apply']>[0]) {
        const written = super.apply(batch);
        if (!this.loseNext) return written;
        this.loseNext = false;
        return Promise.reject(new Error('Connection terminated unexpectedly'));
      }
    }
    const store = new AnswerLosingStore(w.db);
    engine = engineOf(w, {}, undefined, { store });
    await engine.start();
    store.loseNext = true;
    deliver(w, open(T0)); // raised and written, but the engine hears of a failure
    expect(engine.unresolved()).toHaveLength(0);
    await settle();
    deliver(w, open(T0 + MIN, 2));
    await settle();
    // Not a second breach for the same seal: the first one, found in the database, counts twice.
    const alerts = await engine.listAlerts({});
    expect(alerts).toMatchObject([{ type: 'breach', sensorId: 's1', count: 2, status: 'open' }]);
    expect(engine.unresolved()).toHaveLength(1);
  });

  it('a door still open when a window ends is a breach at the end', async () => {
    await w.registry.createWindow(
      {
        householdId: 'h1',
        start: T0,
        end: T0 + 10 * MIN,
        reason: '核酸',
        by: 'w',
      },
      { name: 'test' },
    );
    await engine.sweep();
    deliver(w, open(T0 + MIN));
    expect(await engine.listAlerts({ status: 'open', type: 'breach' })).toHaveLength(0);
    w.clock.set(T0 + 10 * MIN);
    await engine.sweep();
    expect((await engine.listAlerts({ status: 'open', type: 'breach' }))[0]).toMatchObject({
      openedAt: T0 + 10 * MIN,
    });
  });

  it('a door opened before a restart and still open when the window ends is a breach at the end', async () => {
    await w.registry.createWindow(
      {
        householdId: 'h1',
        start: T0,
        end: T0 + 10 * MIN,
        reason: '送餐',
        by: 'w',
      },
      { name: 'test' },
    );
    await engine.sweep();
    deliver(w, open(T0 + MIN));
    await engine.stop();
    engine = engineOf(w);
    await engine.start();
    w.clock.set(T0 + 10 * MIN);
    await engine.sweep();
    expect(await engine.listAlerts({ status: 'open', type: 'breach' })).toHaveLength(1);
  });

  it('with a grace, the breach waits and is raised when the grace ends unless a window was recorded', async () => {
    await engine.stop();
    engine = engineOf(w, { graceSeconds: 30 });
    await engine.start();
    deliver(w, open(T0));
    expect(await engine.listAlerts({ status: 'open' })).toHaveLength(0);
    w.clock.set(T0 + 30_000);
    await engine.sweep();
    expect((await engine.listAlerts({ status: 'open' }))[0]).toMatchObject({ type: 'breach', openedAt: T0 });
  });

  it('pages the alert history newest first, counting only the alerts the caller may see', async () => {
    for (let i = 0; i < 5; i++) {
      const at = T0 + i * MIN;
      w.clock.set(at);
      deliver(w, { ...open(at, 100 + 2 * i), door: 'closed' } as SealMessage);
      deliver(w, open(at + 1, 101 + 2 * i));
      await settle();
      const id = (await engine.listAlerts({ status: 'open' }))[0]!.id;
      await engine.resolve(id, { outcome: 'visited', note: 'went there' }, 'me');
    }
    const openedAt = (alerts: { openedAt: number }[]) => alerts.map((a) => (a.openedAt - T0 - 1) / MIN);
    expect(openedAt(await engine.listAlerts({ status: 'resolved' }))).toEqual([4, 3, 2, 1, 0]);
    const hidden = T0 + 3 * MIN + 1;
    expect(openedAt(await engine.alertsPage({}, (a) => a.openedAt !== hidden, 1, 2))).toEqual([2, 1]);
    expect(openedAt(await engine.alertsPage({}, () => true, 4, 10))).toEqual([0]);
    expect(await engine.alertsPage({}, () => true, 5, 10)).toEqual([]);
  });

  it('notifications folded by the flood limit still get their summary after a restart', async () => {
    await engine.stop();
    // One message per two minutes; every step stays before the first escalation (5 min).
    const onePerTwoMinutes = { limit: 1, windowMs: 2 * MIN };
    engine = engineOf(w, {}, onePerTwoMinutes);
    await engine.start();
    for (const id of ['s2', 's3', 's4'])
      await w.registry.createSensor({ id, householdId: 'h1' }, { name: 'test' });
    for (const [i, sensorId] of ['s1', 's2', 's3', 's4'].entries()) {
      deliver(w, { ...open(T0 + i), sensorId });
      await settle();
    }
    const rows = (where: string) =>
      (
        w.db
          .prepare(`SELECT kind, status, summary_id FROM outbox WHERE channel = 'email' AND ${where}`)
          .all() as {
          kind: string;
        }[]
      ).length;
    expect(rows("status = 'folded'")).toBe(3);
    await engine.stop();

    engine = engineOf(w, {}, onePerTwoMinutes);
    await engine.start();
    w.clock.set(T0 + 3 * MIN);
    await engine.sweep();
    await settle();
    expect(rows("kind = 'summary'")).toBe(1);
    expect(rows("status = 'folded' AND summary_id IS NULL")).toBe(0);
    const summary = w.email.sent.find((n) => n.data?.event === 'summary');
    expect(summary?.data?.alertIds).toHaveLength(3);

    // Once covered, a further restart does not summarize them again.
    await engine.stop();
    engine = engineOf(w, {}, onePerTwoMinutes);
    await engine.start();
    w.clock.set(T0 + 4 * MIN);
    await engine.sweep();
    await settle();
    expect(rows("kind = 'summary'")).toBe(1);
  });

  it('resolving needs an outcome and a note; resolving twice is a conflict', async () => {
    deliver(w, open(T0));
    await settle();
    const id = (await engine.listAlerts({ status: 'open' }))[0]!.id;
    await expect(engine.resolve(id, { outcome: 'visited', note: ' ' }, 'me')).rejects.toThrow(/note/);
    await engine.resolve(id, { outcome: 'visited', note: 'went there' }, 'me');
    await expect(engine.resolve(id, { outcome: 'visited', note: 'again' }, 'me')).rejects.toThrow(
      /already resolved/,
    );
    expect((await engine.detail(id)).history.map((c) => c.kind)).toEqual(['opened', 'notified', 'resolved']);
  });

  it('privacy: when the registry purges a household, its messages in the outbox lose the address', async () => {
    await w.registry.createHousehold({ id: 'h2', gridId: 'village', address: '四组 7 号' }, { name: 'test' });
    await w.registry.createQuarantine(
      { householdId: 'h2', start: T0 - 60 * MIN, end: T0 + 60 * MIN },
      { name: 'test' },
    );
    await w.registry.createSensor({ id: 's2', householdId: 'h2' }, { name: 'test' });
    const msg = { ...open(T0), sensorId: 's2' };
    const before = initialSealState('s2', T0);
    w.bus.emit('seal.decide', {
      message: msg,
      before,
      after: before,
      householdId: 'h2',
      gridId: 'village',
    });
    await settle();
    const stored = () =>
      (w.db.prepare('SELECT notification FROM outbox').all() as { notification: string }[])
        .map((r) => r.notification)
        .join();
    expect(stored()).toContain('四组 7 号');
    w.clock.set(T0 + 60 * MIN + 31 * 24 * 60 * MIN);
    await w.registry.purgeExpiredHouseholds(30 * 24 * 60 * MIN);
    expect(stored()).not.toContain('四组 7 号');
    expect(
      engine.view(
        (await engine.listAlerts({ type: 'breach', status: 'open' })).find((a) => a.sensorId === 's2')!,
      ).address,
    ).toBeUndefined();
  });

  it('the daily report is queued once per local day (a restart the same day sends nothing), forced runs always', async () => {
    deliver(w, open(T0));
    const job = () =>
      new DailyReportJob({
        engine,
        store: new SqliteAlertStore(w.db),
        registry: w.registry,
        locale: 'zh-CN',
        tz: 'Asia/Shanghai',
        now: () => w.clock.now(),
        logger,
        emailOn: true,
        afterQueue: () => {},
      });
    const reports = () =>
      (w.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'report'").get() as { n: number }).n;
    expect(await job().run(false)).toMatchObject({ reports: 2 }); // the town and county leaders
    expect(await job().run(false)).toMatchObject({ reports: 0, skipped: 'alreadySent' });
    expect(reports()).toBe(2);
    w.clock.set(T0 + 24 * 60 * MIN);
    expect((await job().run(false)).reports).toBe(2);
    expect((await job().run(true)).reports).toBe(2);
    expect(reports()).toBe(6);
  });
});
