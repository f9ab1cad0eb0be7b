import type { SealCommitted } from '../../core/events.ts';
import type { SealState } from '../../core/sealState.ts';
import { applyMessage } from '../../ingest/applyMessage.ts';
import { trimWindow } from '../../ingest/dedup.ts';

/**
 * How one commit group's messages are stored in a seal feed row (issue 20.4: the feed slimmed).
 *
 * Version 3: the messages alone, and each sensor's state before its first message in the group.
 * A state after a message is what ingest's pure reducer (ingest/applyMessage.ts) makes of the state
 * before and the message, so a reader replays the group instead of reading the states: a heartbeat,
 * most of the feed, is its message (times, battery, signal) and nothing else. The writer replays the
 * group first and writes version 2 instead when any state would come out different (never from
 * ingest: its states are that reducer's).
 *
 *   { "v": 3, "b": { sensorId: before of its first message }, "e": [[message, householdId, gridId], …] }
 *
 * Version 2 (still read): each message with its state after it, written once per message; the
 * de-duplication window (recentSeqs, up to 64 numbers) only on each sensor's last state in the
 * group, earlier states get the group-end window on reading:
 *
 *   { "v": 2, "b": { sensorId: before of its first message }, "e": [[message, after, householdId, gridId], …] }
 *
 * Version 1 (still read): a plain array of SealCommitted. A reader takes every earlier version (rows
 * an older release left in the feed), but an older release cannot read a newer one's rows: instances
 * sharing a database are upgraded together (deploy/README.md, Upgrade).
 *
 * In versions 2 and 3 the states of a sensor's earlier messages in the group carry the group-end
 * window: the state a mirror keeps is the newest (ingestPipeline.mirror), and no other reader
 * (alerting, the live page) looks at the window.
 */
type Message = SealCommitted['message'];
interface EncodedGroupV2 {
  v: 2;
  b: Record<string, SealState>;
  e: Array<[Message, SealState, string, string]>;
}
interface EncodedGroupV3 {
  v: 3;
  b: Record<string, SealState>;
  e: Array<[Message, string, string]>;
}

/**
 * Each message's state after it, from the state before the group and the messages, as ingest made
 * them (ingestPipeline.commit): a sensor's window is copied by its first message in the group and
 * grows in place after that, trimmed once at the end, so the states of its earlier messages share the
 * group-end window. `before` of a later message is a copy of the previous state.
 */
function replay(
  firstBefore: Readonly<Record<string, SealState>>,
  messages: ReadonlyArray<Message>,
): Array<{ before: SealState; after: SealState }> | null {
  const latest = new Map<string, SealState>();
  const out: Array<{ before: SealState; after: SealState }> = [];
  for (const message of messages) {
    const id = message.sensorId;
    const previous = latest.get(id);
    const first = firstBefore[id] as SealState;
    const before = previous === undefined ? first : { ...previous };
    const owned = previous !== undefined && previous.recentSeqs !== first.recentSeqs;
    // A message the reducer does not know (only ever from a test's hand): the group is not replayable.
    const state = applyMessage(before, message, owned)?.state;
    if (state === undefined) return null;
    latest.set(id, state);
    out.push({ before, after: state });
  }
  for (const state of latest.values())
    if (state.recentSeqs !== firstBefore[state.sensorId]?.recentSeqs) trimWindow(state.recentSeqs);
  return out;
}

const NO_WINDOW: number[] = [];

export function encodeFeedEvents(events: readonly SealCommitted[]): string {
  const firstBefore: Record<string, SealState> = {};
  const last = new Map<string, number>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as SealCommitted;
    const id = e.message.sensorId;
    const previous = last.get(id);
    // A `before` that is not the previous `after` (never from ingest, but kept exact): the plain array.
    if (previous !== undefined && !sameState(events[previous]?.after as SealState, e.before))
      return JSON.stringify(events);
    if (previous === undefined) firstBefore[id] = e.before;
    last.set(id, i);
  }
  // Replayed states equal to ingest's (each sensor's window as of its last message too): the messages say it all.
  const replayed = replay(
    firstBefore,
    events.map((e) => e.message),
  );
  const same = replayed?.every((r, i) =>
    sameState(r.after, (events[i] as SealCommitted).after, last.get(r.after.sensorId) === i),
  );
  if (same) {
    const group: EncodedGroupV3 = {
      v: 3,
      b: firstBefore,
      e: events.map((e) => [e.message, e.householdId, e.gridId]),
    };
    return JSON.stringify(group);
  }
  // Windows only on each sensor's last state of the group.
  const rows = events.map((e, i): EncodedGroupV2['e'][number] => [
    e.message,
    last.get(e.message.sensorId) === i ? e.after : { ...e.after, recentSeqs: NO_WINDOW },
    e.householdId,
    e.gridId,
  ]);
  const group: EncodedGroupV2 = { v: 2, b: firstBefore, e: rows };
  return JSON.stringify(group);
}

export function decodeFeedEvents(text: string): SealCommitted[] {
  const parsed = JSON.parse(text) as SealCommitted[] | EncodedGroupV2 | EncodedGroupV3;
  if (Array.isArray(parsed)) return parsed;
  if (parsed.v === 3) {
    const states = replay(
      parsed.b,
      parsed.e.map(([message]) => message),
    );
    if (states === null)
      throw new Error('seal feed row (version 3) holds a message the reducer does not know');
    return parsed.e.map(([message, householdId, gridId], i) => {
      const { before, after } = states[i] as { before: SealState; after: SealState };
      return { message, before, after, householdId, gridId };
    });
  }
  // Each sensor's window at the group's end, for its earlier states (one copy per sensor and group).
  const windows = new Map<string, number[]>();
  for (let i = parsed.e.length - 1; i >= 0; i--) {
    const [message, after] = parsed.e[i] as EncodedGroupV2['e'][number];
    if (!windows.has(message.sensorId)) windows.set(message.sensorId, after.recentSeqs.slice());
  }
  const last = new Map<string, SealState>();
  const out: SealCommitted[] = [];
  for (const [message, after, householdId, gridId] of parsed.e) {
    const id = message.sensorId;
    if (after.recentSeqs.length === 0) after.recentSeqs = windows.get(id) ?? [];
    const previous = last.get(id);
    // A copy: each message's states are their own objects, as when each was parsed from its own JSON.
    const before = previous === undefined ? (parsed.b[id] as SealState) : { ...previous };
    last.set(id, after);
    out.push({ message, before, after, householdId, gridId });
  }
  return out;
}

/**
 * The same object, or the same fields: ingest passes the previous state object on as the next
 * `before`. Without `windows`, the de-duplication windows are not compared.
 */
function sameState(a: SealState, b: SealState, windows = true): boolean {
  if (a === b) return true;
  const ka = Object.keys(a) as Array<keyof SealState>;
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (k === 'recentSeqs' && !windows) continue;
    const x = a[k];
    const y = b[k];
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
    } else if (x !== y) return false;
  }
  return true;
}
