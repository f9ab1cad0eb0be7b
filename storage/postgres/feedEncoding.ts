import type { SealCommitted } from '../../core/events.ts';
import type { SealState } from '../../core/sealState.ts';

/**
 * How one commit group's messages are stored in a seal feed row (issue 20.4: the feed slimmed).
 * Within a group a sensor's `before` is the `after` of its previous message, so it is written
 * once per sensor (its first message's) and rebuilt on reading: the row is about half the JSON
 * it was, for PostgreSQL to compress, log and send, and for every reader to parse.
 *
 *   { "v": 2, "b": { sensorId: before of its first message }, "e": [[message, after, householdId, gridId], …] }
 *
 * Rows written before this format (a plain array of SealCommitted) are still read, so instances of
 * both versions can share a feed during an upgrade.
 */
interface EncodedGroup {
  v: 2;
  b: Record<string, SealState>;
  e: Array<[SealCommitted['message'], SealState, string, string]>;
}

export function encodeFeedEvents(events: readonly SealCommitted[]): string {
  const firstBefore: Record<string, SealState> = {};
  const rows: EncodedGroup['e'] = [];
  const last = new Map<string, SealState>();
  for (const e of events) {
    const id = e.message.sensorId;
    const previous = last.get(id);
    // A `before` that is not the previous `after` (never from ingest, but kept exact): a group of its own.
    if (previous !== undefined && !sameState(previous, e.before)) return JSON.stringify(events);
    if (previous === undefined) firstBefore[id] = e.before;
    last.set(id, e.after);
    rows.push([e.message, e.after, e.householdId, e.gridId]);
  }
  const group: EncodedGroup = { v: 2, b: firstBefore, e: rows };
  return JSON.stringify(group);
}

export function decodeFeedEvents(text: string): SealCommitted[] {
  const parsed = JSON.parse(text) as SealCommitted[] | EncodedGroup;
  if (Array.isArray(parsed)) return parsed;
  const last = new Map<string, SealState>();
  const out: SealCommitted[] = [];
  for (const [message, after, householdId, gridId] of parsed.e) {
    const id = message.sensorId;
    const previous = last.get(id);
    // A copy: each message's states are its own objects, as when every one was parsed from its own JSON.
    const before =
      previous === undefined
        ? (parsed.b[id] as SealState)
        : { ...previous, recentSeqs: [...previous.recentSeqs] };
    last.set(id, after);
    out.push({ message, before, after, householdId, gridId });
  }
  return out;
}

/** The same object, or the same fields: ingest passes the previous state object on as the next `before`. */
function sameState(a: SealState, b: SealState): boolean {
  if (a === b) return true;
  const ka = Object.keys(a) as Array<keyof SealState>;
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const x = a[k];
    const y = b[k];
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
    } else if (x !== y) return false;
  }
  return true;
}
