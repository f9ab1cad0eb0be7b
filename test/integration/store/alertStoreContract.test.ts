import { describe, expect, it } from 'vitest';
import type { AlertChange } from '../../../alerting/alertModel.ts';
import type { OutboxRow, StoredAlert } from '../../../alerting/alertStore.ts';
import { alertStoreBackends } from '../../helpers/alertStoreBackends.ts';

/**
 * The alert store port (alerting/alertStore.ts) against SQLite and a real PostgreSQL: the same
 * calls must give the same answers. A fresh database per test on both.
 */

/** Epoch ms beyond 2^31 and 2^32: survives neither a 32-bit column nor a float32. */
const T = Date.parse('2026-03-01T08:00:00Z');

const BACKENDS = alertStoreBackends('alerts');

const alert = (id: string, over: Partial<StoredAlert> = {}): StoredAlert => ({
  id,
  type: 'breach',
  sensorId: `s-${id}`,
  householdId: `h-${id}`,
  gridId: 'g1',
  severity: 'critical',
  status: 'open',
  assignee: 'w1',
  openedAt: T,
  count: 1,
  escalationLevel: 0,
  nextEscalationAt: T + 300_000,
  detail: { lastSeen: T - 5, battery: 88, address: '东村三组 7 号' },
  ...over,
});

const outbox = (id: string, alertId: string | null, over: Partial<OutboxRow> = {}): OutboxRow => ({
  id,
  alertId,
  kind: alertId ? 'alert' : 'summary',
  channel: 'webhook',
  recipientId: 'w1',
  notification: {
    id,
    recipient: { id: 'w1', name: '王网格员', webhook: 'https://example.org/hook' },
    subject: '门磁告警',
    view: { severity: 'critical', title: '东村三组 7 号 开门', intro: '', fields: [] },
    data: { alertId },
  } as unknown as OutboxRow['notification'],
  status: 'pending',
  attempts: 0,
  createdAt: T,
  firstAttemptAt: null,
  nextAttemptAt: T,
  deliveredAt: null,
  lastError: null,
  ...over,
});

const change = (alertId: string, kind: AlertChange['kind'], at: number): AlertChange => ({
  alertId,
  kind,
  at,
  actor: 'system',
  detail: { step: 1 },
});

describe.each(BACKENDS)('alert store contract: $name', (backend) => {
  it('applies every kind of batch field and reads it back exactly', async () => {
    const store = await backend.open();
    const a = alert('a1');
    await store.apply({
      alerts: [a],
      changes: [change('a1', 'opened', T), change('a1', 'notified', T + 1)],
      outbox: [outbox('o1', 'a1'), outbox('o2', 'a1', { channel: 'email', createdAt: T + 1 })],
      lowBattery: [
        { sensorId: 's1', notified: true },
        { sensorId: 's2', notified: false },
      ],
      openCounters: [{ householdId: 'h1', counter: { dayKey: '2026-03-01', count: 3 } }],
      pendingPut: [{ sensorId: 's9', householdId: 'h9', openedAt: T, dueAt: T + 30_000 }],
      nonces: [{ nonce: 'n1', alertId: 'a1', recipientId: 'w1', usedAt: T }],
      announcements: [
        { id: 'an1', householdId: 'h1', start: T, end: T + 600_000, reason: '就医', by: 'w1', createdAt: T },
      ],
      state: { lastSweepAt: String(T), other: 'x' },
    });
    expect(await store.get('a1')).toEqual(a);
    expect(await store.get('nope')).toBeUndefined();
    expect(await store.changes('a1')).toEqual([change('a1', 'opened', T), change('a1', 'notified', T + 1)]);
    expect((await store.deliveries('a1')).map((o) => o.id)).toEqual(['o1', 'o2']);
    expect((await store.deliveries('a1'))[0]).toEqual(outbox('o1', 'a1'));
    expect(await store.loadLowBattery()).toEqual(
      new Map([
        ['s1', true],
        ['s2', false],
      ]),
    );
    expect(await store.loadOpenCounters()).toEqual(new Map([['h1', { dayKey: '2026-03-01', count: 3 }]]));
    expect(await store.loadPendingBreaches()).toEqual([
      { sensorId: 's9', householdId: 'h9', openedAt: T, dueAt: T + 30_000 },
    ]);
    expect(await store.nonceUsed('n1')).toBe(true);
    expect(await store.nonceUsed('n2')).toBe(false);
    expect((await store.loadAnnouncements(T + 1)).map((x) => x.id)).toEqual(['an1']);
    expect(await store.loadAnnouncements(T + 600_000)).toEqual([]);
    expect(await store.getState('lastSweepAt')).toBe(String(T));
    expect(await store.getState('missing')).toBeUndefined();

    // Upserts: a replaced alert, counters and facts, a deleted pending breach, a replaced state.
    const acked = {
      ...a,
      status: 'acknowledged' as const,
      ackedAt: T + 5,
      ackedBy: 'w1',
      note: '已联系',
      nextEscalationAt: undefined,
    };
    delete acked.nextEscalationAt;
    await store.apply({
      alerts: [acked],
      lowBattery: [{ sensorId: 's1', notified: false }],
      openCounters: [{ householdId: 'h1', counter: { dayKey: '2026-03-02', count: 1 } }],
      pendingDelete: ['s9'],
      state: { lastSweepAt: String(T + 9) },
    });
    expect(await store.get('a1')).toEqual(acked);
    expect((await store.loadLowBattery()).get('s1')).toBe(false);
    expect((await store.loadOpenCounters()).get('h1')).toEqual({ dayKey: '2026-03-02', count: 1 });
    expect(await store.loadPendingBreaches()).toEqual([]);
    expect(await store.getState('lastSweepAt')).toBe(String(T + 9));
  });

  it('keeps one active alert per subject and type, and a failing batch writes nothing', async () => {
    const store = await backend.open();
    await store.apply({ alerts: [alert('a1')] });
    // SQLite throws at once, PostgreSQL rejects: either way the caller learns of it.
    await expect(
      (async () =>
        store.apply({
          alerts: [alert('a2', { sensorId: 's-a1' })],
          changes: [change('a2', 'opened', T)],
          state: { k: 'v' },
        }))(),
    ).rejects.toThrow();
    expect(await store.get('a2')).toBeUndefined();
    expect(await store.changes('a2')).toEqual([]);
    expect(await store.getState('k')).toBeUndefined();
    // Resolved, the subject may be alerted again; other types of the same sensor never collide.
    await store.apply({
      alerts: [alert('a1', { status: 'resolved', resolvedAt: T + 1, resolvedBy: 'w1', outcome: 'visited' })],
    });
    await store.apply({
      alerts: [alert('a2', { sensorId: 's-a1' }), alert('a3', { sensorId: 's-a1', type: 'tamper' })],
    });
    expect((await store.loadUnresolved()).map((x) => x.id).sort()).toEqual(['a2', 'a3']);
  });

  it('lists and iterates newest first, filtered, across more than one read page', async () => {
    const store = await backend.open();
    const alerts = Array.from({ length: 1_203 }, (_, i) =>
      alert(`a${String(i).padStart(4, '0')}`, {
        openedAt: T + Math.floor(i / 3) * 1_000,
        type: i % 2 ? 'offline' : 'breach',
        severity: i % 2 ? 'warning' : 'critical',
        status: i % 5 === 0 ? 'resolved' : 'open',
      }),
    );
    await store.apply({ alerts });
    const expected = [...alerts].sort((x, y) => y.openedAt - x.openedAt || (x.id < y.id ? -1 : 1));
    expect((await store.list({})).map((x) => x.id)).toEqual(expected.map((x) => x.id));
    const open = expected.filter((x) => x.status === 'open' && x.type === 'offline');
    expect((await store.list({ status: 'open', type: 'offline' })).map((x) => x.id)).toEqual(
      open.map((x) => x.id),
    );
    const window = expected.filter((x) => x.openedAt >= T + 100_000 && x.openedAt < T + 200_000);
    expect((await store.list({ openedFrom: T + 100_000, openedTo: T + 200_000 })).map((x) => x.id)).toEqual(
      window.map((x) => x.id),
    );
    // A page taken from the iterator stops early.
    const first: string[] = [];
    for await (const x of store.iterate({})) {
      first.push(x.id);
      if (first.length === 3) break;
    }
    expect(first).toEqual(expected.slice(0, 3).map((x) => x.id));
    // Nothing stays open between the reader's steps: the engine may write in between.
    let read = 0;
    for await (const _ of store.iterate({})) {
      if (++read % 400 === 0) await store.apply({ state: { reading: String(read) } });
    }
    expect(read).toBe(alerts.length);
    expect(await store.getState('reading')).toBe('1200');
  });

  it('a write is done when apply returns undefined, or when its promise resolves', async () => {
    const store = await backend.open();
    const written = store.apply({ alerts: [alert('a1')], state: { k: 'v' } });
    if (written === undefined) {
      // Synchronous (SQLite): visible at once, so a decision inside ingest's transaction is part of it.
      expect(backend.name).toBe('SQLite');
    } else {
      expect(backend.name).toBe('PostgreSQL');
      await written;
    }
    expect(await store.get('a1')).toEqual(alert('a1'));
    expect(await store.getState('k')).toBe('v');
  });

  it('outbox: due rows by deadline, the next deadline, counts, requeue after a crash, folded and summarized', async () => {
    const store = await backend.open();
    await store.apply({
      alerts: [alert('a1')],
      outbox: [
        outbox('o1', 'a1', { nextAttemptAt: T + 20 }),
        outbox('o2', 'a1', { nextAttemptAt: T + 10 }),
        outbox('o3', 'a1', { nextAttemptAt: T + 99_999 }),
        outbox('o4', 'a1', { status: 'sending', nextAttemptAt: T }),
        outbox('f1', 'a1', { status: 'folded', nextAttemptAt: null, createdAt: T + 1 }),
        outbox('f2', 'a1', { status: 'folded', nextAttemptAt: null, createdAt: T + 2 }),
      ],
    });
    expect((await store.dueOutbox(T + 50, 10)).map((o) => o.id)).toEqual(['o2', 'o1']);
    expect((await store.dueOutbox(T + 50, 1)).map((o) => o.id)).toEqual(['o2']);
    expect(await store.nextOutboxAt()).toBe(T + 10);
    expect(await store.outboxCounts()).toEqual({ pending: 3, sending: 1, folded: 2 });
    expect(await store.requeueSending(T + 7)).toBe(1);
    expect((await store.dueOutbox(T + 7, 10)).map((o) => o.id)).toEqual(['o4']);
    await store.apply({
      outbox: [outbox('sum1', null, { kind: 'summary' })],
      summarized: [{ rowId: 'f1', summaryId: 'sum1' }],
      outboxUpdates: [
        {
          id: 'o2',
          status: 'delivered',
          attempts: 1,
          firstAttemptAt: T + 11,
          nextAttemptAt: null,
          deliveredAt: T + 12,
          lastError: null,
        },
      ],
    });
    expect((await store.loadFoldedUnsummarized()).map((o) => o.id)).toEqual(['f2']);
    expect((await store.deliveries('a1')).find((o) => o.id === 'o2')).toMatchObject({
      status: 'delivered',
      attempts: 1,
      deliveredAt: T + 12,
    });
    // The new summary row is due at T, before the requeued row.
    expect(await store.nextOutboxAt()).toBe(T);
  });

  it('outbox: the oldest row still to be sent is pending or sending, never delivered, failed or folded', async () => {
    const store = await backend.open();
    expect(await store.oldestWaitingOutboxAt()).toBeNull();
    await store.apply({
      alerts: [alert('a1')],
      outbox: [
        outbox('d1', 'a1', { status: 'delivered', createdAt: T - 50, deliveredAt: T }),
        outbox('x1', 'a1', { status: 'failed', createdAt: T - 40, nextAttemptAt: null }),
        outbox('f1', 'a1', { status: 'folded', createdAt: T - 30, nextAttemptAt: null }),
        outbox('s1', 'a1', { status: 'sending', createdAt: T - 20 }),
        // A retry's deadline lies ahead, but it has waited since it was made.
        outbox('p1', 'a1', { createdAt: T - 10, nextAttemptAt: T + 60_000 }),
      ],
    });
    expect(await store.oldestWaitingOutboxAt()).toBe(T - 20);
    await store.apply({
      outboxUpdates: [
        {
          id: 's1',
          status: 'delivered',
          attempts: 1,
          firstAttemptAt: T,
          nextAttemptAt: null,
          deliveredAt: T + 1,
          lastError: null,
        },
      ],
    });
    expect(await store.oldestWaitingOutboxAt()).toBe(T - 10);
  });

  it("privacy purge: a household's messages become stubs, unsent ones fail, and a late send does not revive them", async () => {
    const store = await backend.open();
    await store.apply({
      alerts: [alert('a1'), alert('b1', { householdId: 'h-other', sensorId: 's-b1' })],
      outbox: [
        outbox('o1', 'a1', { status: 'delivered', deliveredAt: T }),
        outbox('o2', 'a1'),
        outbox('o3', 'b1'),
      ],
    });
    expect(await store.redactHouseholdMessages('h-a1', T + 5)).toBe(2);
    const [o1, o2] = await store.deliveries('a1');
    expect(JSON.stringify(o1)).not.toContain('东村');
    expect(o1).toMatchObject({
      status: 'delivered',
      notification: { data: { purged: true, purgedAt: T + 5 } },
    });
    expect(o2).toMatchObject({ status: 'failed', lastError: 'household data purged', nextAttemptAt: null });
    // A send that was in flight reports back: the failed stub stays failed.
    await store.apply({
      outboxUpdates: [
        {
          id: 'o2',
          status: 'delivered',
          attempts: 1,
          firstAttemptAt: T,
          nextAttemptAt: null,
          deliveredAt: T + 6,
          lastError: null,
        },
      ],
    });
    expect((await store.deliveries('a1'))[1]?.status).toBe('failed');
    expect((await store.deliveries('b1'))[0]?.notification.subject).toBe('门磁告警');
    expect(await store.redactHouseholdMessages('h-a1', T + 7)).toBe(0);
  });

  it('announce links: peek, single use, expiry, unknown', async () => {
    const store = await backend.open();
    await store.insertAnnounceLink({
      tokenHash: 't1',
      householdId: 'h1',
      createdBy: 'w1',
      createdAt: T,
      expiresAt: T + 1_000,
    });
    await store.insertAnnounceLink({
      tokenHash: 't2',
      householdId: 'h2',
      createdBy: 'w1',
      createdAt: T,
      expiresAt: T + 1_000,
    });
    expect(await store.peekAnnounceLink('t1', T)).toEqual({ ok: true, householdId: 'h1', createdBy: 'w1' });
    expect(await store.useAnnounceLink('t1', T + 1)).toEqual({
      ok: true,
      householdId: 'h1',
      createdBy: 'w1',
    });
    expect(await store.useAnnounceLink('t1', T + 2)).toEqual({ ok: false, reason: 'used' });
    expect(await store.peekAnnounceLink('t1', T + 2)).toEqual({ ok: false, reason: 'used' });
    expect(await store.useAnnounceLink('t2', T + 1_000)).toEqual({ ok: false, reason: 'expired' });
    expect(await store.useAnnounceLink('t3', T)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('silences: set, replaced, lifted, and only those not ended are read back; written with audit entries', async () => {
    const store = await backend.open();
    const audit = (action: string) => ({
      at: T,
      actor: '值班员',
      entity: 'sensor',
      entityId: 's1',
      action,
      gridId: 'g1',
      before: null,
      after: { reason: '维修' },
    });
    const silence = (sensorId: string, until: number, reason = '维修') => ({
      sensorId,
      until,
      reason,
      by: '值班员',
      createdAt: T,
    });
    await store.apply({
      silences: [silence('s1', T + 60_000), silence('s2', T + 10)],
      audit: [audit('silence')],
    });
    await store.apply({ silences: [silence('s1', T + 120_000, '改造')] });
    expect(await store.loadSilences(T + 20)).toEqual([silence('s1', T + 120_000, '改造')]);
    await store.apply({ silenceDeletes: ['s1'], audit: [audit('unsilence')] });
    expect(await store.loadSilences(T)).toEqual([silence('s2', T + 10)]);
  });

  it('searches the history: sensor, household, free text in notes, outcomes, comments and matching households', async () => {
    const store = await backend.open();
    await store.apply({
      alerts: [
        alert('r1', { status: 'resolved', outcome: 'falseAlarm', note: '邻居代收快递', openedAt: T - 3 }),
        alert('r2', { status: 'resolved', outcome: 'visited', note: '100% 已上门', openedAt: T - 2 }),
        alert('c1', { openedAt: T - 1 }),
      ],
      changes: [{ alertId: 'c1', kind: 'commented', at: T, actor: '值班员', detail: { note: '回访 ZX-17' } }],
    });
    const ids = async (q: Parameters<typeof store.list>[0]) => (await store.list(q)).map((a) => a.id);
    expect(await ids({ text: '代收' })).toEqual(['r1']);
    expect(await ids({ text: 'FALSEALARM' })).toEqual(['r1']);
    expect(await ids({ text: 'zx-17' })).toEqual(['c1']);
    // LIKE's own characters are taken literally.
    expect(await ids({ text: '100%' })).toEqual(['r2']);
    expect(await ids({ text: '_' })).toEqual([]);
    expect(await ids({ text: 'nothing', textHouseholdIds: ['h-r2', 'h-c1'] })).toEqual(['c1', 'r2']);
    expect(await ids({ sensorId: 's-r1' })).toEqual(['r1']);
    expect(await ids({ householdId: 'h-c1', status: 'open' })).toEqual(['c1']);
    expect(await ids({ text: '上门', status: 'open' })).toEqual([]);
    // A page and the whole count, as the database counts them; a scope of grid nodes.
    const page = await store.search({ status: 'resolved', gridIds: ['g1', 'g2'] }, { offset: 1, limit: 1 });
    expect([page.items.map((a) => a.id), page.total]).toEqual([['r1'], 2]);
    expect((await store.search({ gridIds: ['elsewhere'] }, { offset: 0, limit: 10 })).total).toBe(0);
    expect((await store.search({ text: 'zx-17' }, { offset: 0, limit: 10 })).items.map((a) => a.id)).toEqual([
      'c1',
    ]);
  });
});
