import { describe, expect, it } from 'vitest';
import type { SealCommitted } from '../../../core/events.ts';
import type { SealMessage } from '../../../core/sealMessage.ts';
import { initialSealState, type SealState } from '../../../core/sealState.ts';
import { applyMessage } from '../../../ingest/applyMessage.ts';
import { decodeFeedEvents, encodeFeedEvents } from '../../../storage/postgres/feedEncoding.ts';

const T = Date.parse('2026-03-01T08:00:00Z');

/** A group as ingest builds it: each message's `before` is the previous `after` of its sensor (the same object). */
function group(messages: Array<{ sensorId: string; door: 'open' | 'closed' }>): SealCommitted[] {
  const held = new Map<string, SealState>();
  return messages.map(({ sensorId, door }, i) => {
    const before = held.get(sensorId) ?? { ...initialSealState(sensorId, T), recentSeqs: [100, 101] };
    const after: SealState = {
      ...before,
      door,
      online: true,
      lastSeen: T + i,
      messages: before.messages + 1,
      updatedAt: T + i,
      recentSeqs: [...before.recentSeqs, i],
    };
    held.set(sensorId, after);
    return {
      message: { kind: 'door', sensorId, dialect: 'native', door, ts: T + i, receivedAt: T + i, seq: i },
      before,
      after,
      householdId: `h-${sensorId}`,
      gridId: 'g',
    };
  });
}

/** What readers rely on: everything but the de-duplication window of a sensor's earlier states. */
const withoutWindows = (events: SealCommitted[]) =>
  events.map((e) => ({
    ...e,
    before: { ...e.before, recentSeqs: null },
    after: { ...e.after, recentSeqs: null },
  }));

describe('seal feed encoding', () => {
  const events = group([
    { sensorId: 'a', door: 'open' },
    { sensorId: 'b', door: 'open' },
    { sensorId: 'a', door: 'closed' },
    { sensorId: 'a', door: 'open' },
    { sensorId: 'b', door: 'closed' },
  ]);

  it('gives back every message with its before and after states, in order', () => {
    const decoded = decodeFeedEvents(encodeFeedEvents(events));
    expect(withoutWindows(decoded)).toEqual(withoutWindows(events));
  });

  it("keeps each sensor's window as of its last message: the state a mirror keeps", () => {
    const decoded = decodeFeedEvents(encodeFeedEvents(events));
    expect(decoded[3]?.after.recentSeqs).toEqual([100, 101, 0, 2, 3]);
    expect(decoded[4]?.after.recentSeqs).toEqual([100, 101, 1, 4]);
    expect(decoded[0]?.before.recentSeqs).toEqual([100, 101]);
    // Earlier states carry the group-end window, never an empty one.
    expect(decoded[0]?.after.recentSeqs).toEqual([100, 101, 0, 2, 3]);
  });

  it('gives each message states of its own (a reader changing one changes no other)', () => {
    const decoded = decodeFeedEvents(encodeFeedEvents(events));
    expect(decoded[2]?.before).not.toBe(decoded[0]?.after);
    expect(decoded[3]?.after.recentSeqs).not.toBe(decoded[0]?.after.recentSeqs);
  });

  it('is much smaller than the messages as plain JSON', () => {
    const many = group(
      Array.from({ length: 500 }, (_, i) => ({ sensorId: `s${i % 10}`, door: 'open' as const })),
    );
    expect(encodeFeedEvents(many).length).toBeLessThan(JSON.stringify(many).length / 2);
  });

  it('reads rows written before this format (a plain array)', () => {
    expect(decodeFeedEvents(JSON.stringify(events))).toEqual(JSON.parse(JSON.stringify(events)));
  });

  it("falls back to the plain array when a before is not its sensor's previous after", () => {
    const odd = group([
      { sensorId: 'a', door: 'open' },
      { sensorId: 'a', door: 'closed' },
    ]);
    (odd[1] as SealCommitted).before = { ...(odd[1] as SealCommitted).before, battery: 12 };
    const text = encodeFeedEvents(odd);
    expect(Array.isArray(JSON.parse(text))).toBe(true);
    expect(decodeFeedEvents(text)).toEqual(JSON.parse(JSON.stringify(odd)));
  });

  describe('version 3: the messages alone, states replayed by the reader', () => {
    /** A group whose states are the reducer's, as ingest makes them: heartbeats mostly, a door change. */
    function ingested(count: number): SealCommitted[] {
      const held = new Map<string, SealState>();
      return Array.from({ length: count }, (_, i) => {
        const sensorId = `s${i % 7}`;
        const ts = T + i * 10;
        const message: SealMessage =
          i % 5 === 3
            ? {
                kind: 'door',
                sensorId,
                dialect: 'native',
                door: i % 2 ? 'open' : 'closed',
                ts,
                receivedAt: ts + 3,
                seq: i,
              }
            : {
                kind: 'heartbeat',
                sensorId,
                dialect: 'native',
                ts,
                receivedAt: ts + 3,
                seq: i,
                door: null,
                battery: 90 - (i % 4),
                rssi: -60 - (i % 9),
              };
        const before = held.get(sensorId) ?? {
          ...initialSealState(sensorId, T),
          recentSeqs: Array.from({ length: 64 }, (_, k) => 1_000 + k),
        };
        const { state: after } = applyMessage(before, message);
        held.set(sensorId, after);
        return { message, before, after, householdId: `h-${sensorId}`, gridId: 'g' };
      });
    }
    const group = ingested(200);
    const text = encodeFeedEvents(group);

    it('is written when every state is what the reducer makes of the messages (all of ingest)', () => {
      expect(JSON.parse(text).v).toBe(3);
    });

    it('gives back every message with its before and after states, in order', () => {
      expect(withoutWindows(decodeFeedEvents(text))).toEqual(withoutWindows(group));
    });

    it("keeps each sensor's window as of its last message: the state a mirror keeps", () => {
      const decoded = decodeFeedEvents(text);
      for (let i = group.length - 7; i < group.length; i++)
        expect(decoded[i]?.after.recentSeqs, `message ${i}`).toEqual(group[i]?.after.recentSeqs);
      // The first before of a sensor is as it was, not grown by the replay.
      expect(decoded[0]?.before.recentSeqs).toEqual(group[0]?.before.recentSeqs);
    });

    it('is well under half of version 2 (states written out)', () => {
      const v2 = JSON.parse(text);
      const withStates = JSON.stringify({
        v: 2,
        b: v2.b,
        e: group.map((e) => [e.message, { ...e.after, recentSeqs: [] }, e.householdId, e.gridId]),
      });
      expect(text.length).toBeLessThan(withStates.length / 2);
    });

    it("is not written when a state differs from the reducer's: version 2 keeps it exact", () => {
      const odd = ingested(30);
      // Sensor s1's message 15 with a battery the reducer would not give it; its next message (22) follows on.
      const changed = odd[15] as SealCommitted;
      changed.after = { ...changed.after, battery: 3 };
      (odd[22] as SealCommitted).before = changed.after;
      const written = encodeFeedEvents(odd);
      expect(JSON.parse(written).v).toBe(2);
      expect(withoutWindows(decodeFeedEvents(written))).toEqual(withoutWindows(odd));
    });
  });
});
