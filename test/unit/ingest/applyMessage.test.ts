import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SealMessage } from '../../../core/sealMessage.ts';
import { initialSealState, type SealState } from '../../../core/sealState.ts';
import { applyMessage } from '../../../ingest/applyMessage.ts';
import { isDuplicate } from '../../../ingest/dedup.ts';

const T0 = 1_700_000_000_000;
const ID = 's-001';

const door = (
  d: 'open' | 'closed',
  ts: number,
  seq: number | null = null,
  receivedAt = ts + 50,
): SealMessage => ({
  kind: 'door',
  sensorId: ID,
  dialect: 'native',
  door: d,
  ts,
  receivedAt,
  seq,
});
const heartbeat = (
  fields: Partial<Extract<SealMessage, { kind: 'heartbeat' }>> & { ts: number },
): Extract<SealMessage, { kind: 'heartbeat' }> => ({
  kind: 'heartbeat',
  sensorId: ID,
  dialect: 'native',
  receivedAt: fields.ts + 50,
  seq: null,
  door: null,
  battery: null,
  rssi: null,
  ...fields,
});
const tamper = (ts: number, seq: number | null = null): SealMessage => ({
  kind: 'tamper',
  sensorId: ID,
  dialect: 'native',
  ts,
  receivedAt: ts + 50,
  seq,
});
const status = (online: boolean, receivedAt: number): SealMessage => ({
  kind: 'status',
  sensorId: ID,
  dialect: 'native',
  online,
  ts: receivedAt,
  receivedAt,
  seq: null,
});

function run(messages: SealMessage[], start: SealState = initialSealState(ID, T0)) {
  let state = start;
  const events: (ReturnType<typeof applyMessage>['doorEvents'][number] | null)[] = [];
  for (const m of messages) {
    const applied = applyMessage(state, m);
    state = applied.state;
    events.push(applied.doorEvents[0] ?? null);
  }
  return { state, events };
}

describe('applyMessage: door events', () => {
  it('an open sets the door, the last change and the bookkeeping, and goes to history', () => {
    const before = initialSealState(ID, T0);
    const { state, doorEvents } = applyMessage(before, door('open', T0 + 1_000, 7, T0 + 1_200));
    const doorEvent = doorEvents[0];
    expect(state).toMatchObject({
      door: 'open',
      lastDoorChange: T0 + 1_000,
      online: true,
      lastSeen: T0 + 1_200,
      updatedAt: T0 + 1_200,
      messages: 1,
      recentSeqs: [7, T0 + 1_000],
    });
    expect(doorEvent).toEqual({
      sensorId: ID,
      type: 'open',
      ts: T0 + 1_000,
      receivedAt: T0 + 1_200,
      seq: 7,
      dialect: 'native',
    });
    expect(before.door).toBe('unknown');
  });

  it('an older door event arriving late is kept in history but does not override the newer state', () => {
    const { state, events } = run([door('open', T0 + 2_000, 2), door('closed', T0 + 1_000, 1)]);
    expect(state.door).toBe('open');
    expect(state.lastDoorChange).toBe(T0 + 2_000);
    expect(events[1]).toMatchObject({ type: 'close', ts: T0 + 1_000 });
    expect(state.messages).toBe(2);
  });

  it('a newer event overrides', () => {
    const { state } = run([door('open', T0 + 1_000), door('closed', T0 + 2_000)]);
    expect(state.door).toBe('closed');
  });
});

describe('applyMessage: heartbeats', () => {
  it('a heartbeat with a different door position than held is a door event (a lost open reaches the rules)', () => {
    const { state, events } = run([
      door('closed', T0 + 1_000),
      heartbeat({ ts: T0 + 60_000, seq: 9, door: 'open' }),
    ]);
    expect(state.door).toBe('open');
    expect(state.lastDoorChange).toBe(T0 + 60_000);
    expect(events[1]).toMatchObject({ type: 'open', ts: T0 + 60_000, seq: 9 });
  });

  it('a heartbeat agreeing with the held position records nothing', () => {
    const { state, events } = run([door('open', T0 + 1_000), heartbeat({ ts: T0 + 60_000, door: 'open' })]);
    expect(events[1]).toBeNull();
    expect(state.lastDoorChange).toBe(T0 + 1_000);
  });

  it('a late door event older than a heartbeat that confirmed the position does not override it', () => {
    // open@100, heartbeat@200 says still open, then close@150 arrives late (delayed by a gateway).
    // The newest observation (200) says open; the late close is history only.
    const { state, events } = run([
      door('open', T0 + 100),
      heartbeat({ ts: T0 + 200, door: 'open' }),
      door('closed', T0 + 150, null, T0 + 400),
    ]);
    expect(events[2]).toMatchObject({ type: 'close', ts: T0 + 150 });
    expect(state.door).toBe('open');
  });

  it('a heartbeat older than the last door change does not undo it', () => {
    const { state, events } = run([
      door('open', T0 + 60_000),
      heartbeat({ ts: T0 + 30_000, door: 'closed' }),
    ]);
    expect(state.door).toBe('open');
    expect(events[1]).toBeNull();
  });

  it('updates battery and rssi, keeping the last known value when a dialect sends none', () => {
    const { state } = run([
      heartbeat({ ts: T0, battery: 80, rssi: -70 }),
      heartbeat({ ts: T0 + 60_000, battery: null, rssi: null }),
    ]);
    expect(state.battery).toBe(80);
    expect(state.rssi).toBe(-70);
  });

  it('a tamper flag is recorded once when it appears and cleared when it goes', () => {
    const { state, events } = run([
      heartbeat({ ts: T0, door: 'closed', tamper: true }),
      heartbeat({ ts: T0 + 1, door: 'closed' }),
      heartbeat({ ts: T0 + 2, door: 'closed', tamper: true }),
      heartbeat({ ts: T0 + 3, door: 'closed', tamper: false }),
    ]);
    // The first heartbeat also turns 'unknown' into 'closed'; its tamper shows in the state.
    expect(events[0]).toMatchObject({ type: 'close' });
    expect(events.slice(1)).toEqual([null, null, null]);
    expect(state.tamper).toBe(false);
    const flagged = run([
      heartbeat({ ts: T0, door: 'closed' }),
      heartbeat({ ts: T0 + 1, door: 'closed', tamper: true }),
    ]);
    expect(flagged.events[1]).toMatchObject({ type: 'tamper' });
    expect(flagged.state.tamper).toBe(true);
  });
});

describe('applyMessage: tamper and status', () => {
  it('a tamper event sets tamper and goes to history', () => {
    const { state, events } = run([tamper(T0, 3)]);
    expect(state.tamper).toBe(true);
    expect(events[0]).toMatchObject({ type: 'tamper', seq: 3 });
    expect(state.door).toBe('unknown');
  });

  it('status offline marks the seal offline; any later message brings it back', () => {
    const offline = run([door('closed', T0), status(false, T0 + 5_000)]);
    expect(offline.state.online).toBe(false);
    expect(offline.events[1]).toBeNull();
    expect(run([heartbeat({ ts: T0 + 10_000 })], offline.state).state.online).toBe(true);
  });
});

describe('applyMessage: properties', () => {
  const msgArb: fc.Arbitrary<SealMessage> = fc.oneof(
    fc
      .record({
        d: fc.constantFrom('open' as const, 'closed' as const),
        ts: fc.integer({ min: 0, max: 1_000 }),
        seq: fc.nat(50),
      })
      .map(({ d, ts, seq }) => door(d, T0 + ts, seq)),
    fc
      .record({
        d: fc.constantFrom('open' as const, 'closed' as const, null),
        ts: fc.integer({ min: 0, max: 1_000 }),
        battery: fc.option(fc.integer({ min: 0, max: 100 })),
      })
      .map(({ d, ts, battery }) => heartbeat({ ts: T0 + ts, door: d, battery })),
    fc.integer({ min: 0, max: 1_000 }).map((ts) => tamper(T0 + ts)),
  );

  it('the held door is that of the newest door change seen, whatever the arrival order', () => {
    fc.assert(
      fc.property(fc.array(msgArb, { minLength: 1, maxLength: 30 }), (messages) => {
        const { state, events } = run(messages);
        expect(state.messages).toBe(messages.length);
        // Door events only (heartbeats without a position): the newest by device time wins, ties by arrival.
        const changes = messages.filter((m) => m.kind === 'door');
        if (changes.length > 0 && messages.every((m) => m.kind !== 'heartbeat' || m.door === null)) {
          const newest = Math.max(...changes.map((m) => m.ts));
          const last = changes.filter((m) => m.ts === newest).at(-1) as Extract<
            SealMessage,
            { kind: 'door' }
          >;
          expect(state.door).toBe(last.door);
          expect(changes.map((m) => m.ts)).toContain(state.lastDoorChange);
        }
        expect(events.filter((e) => e !== null && e.type !== 'tamper').length).toBeGreaterThanOrEqual(
          changes.length,
        );
      }),
    );
  });

  it('every message with a seq is recognised as a duplicate right after it is applied', () => {
    fc.assert(
      fc.property(fc.array(msgArb, { maxLength: 30 }), (messages) => {
        let state = initialSealState(ID, T0);
        for (const m of messages) {
          state = applyMessage(state, m).state;
          expect(isDuplicate(state.recentSeqs, m.seq, m.ts)).toBe(m.seq !== null);
        }
      }),
    );
  });
});

describe('applyMessage: a heartbeat that changes the door and reports tamper', () => {
  it('records both in the history', () => {
    const before = { ...initialSealState(ID, T0), door: 'closed' as const, doorObservedAt: T0 };
    const { doorEvents } = applyMessage(before, heartbeat({ ts: T0 + 1_000, door: 'open', tamper: true }));
    expect(doorEvents.map((e) => e.type)).toEqual(['open', 'tamper']);
  });
});

describe('applyMessage with a window the caller owns (one commit group, ingestPipeline.ts)', () => {
  it('grows the owned window in place and gives the same state as the copying path', () => {
    const start = initialSealState(ID, T0);
    const msgs = [door('open', T0, 1), heartbeat({ ts: T0 + 1000, seq: 2 }), door('closed', T0 + 2000, 3)];
    let copied = start;
    for (const m of msgs) copied = applyMessage(copied, m).state;
    const first = applyMessage(start, msgs[0] as SealMessage).state;
    expect(first.recentSeqs).not.toBe(start.recentSeqs);
    let owned = first;
    for (const m of msgs.slice(1)) {
      const next = applyMessage(owned, m, true).state;
      expect(next.recentSeqs).toBe(first.recentSeqs);
      owned = next;
    }
    expect(owned).toEqual(copied);
    // The state the group started from (the committed one) is left as it was.
    expect(start.recentSeqs).toEqual([]);
  });
});
