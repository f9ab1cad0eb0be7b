import type { SealCommitted } from '../../core/events.ts';
import type { SealState } from '../../core/sealState.ts';

/**
 * How one commit group's messages are stored in a seal feed row (issue 20.4: the feed slimmed).
 * Within a group a sensor's `before` is the `after` of its previous message, so it is written
 * once per sensor (its first message's) and rebuilt on reading. The de-duplication window
 * (recentSeqs, up to 64 numbers, most of a state's JSON) is written only on each sensor's last state
 * in the group: that is the state a mirror keeps (ingestPipeline.mirror keeps the newest), and no
 * reader of the others (alerting, the live page) looks at the window; they get the group-end window.
 * A row is about a fifth of the JSON it was, for PostgreSQL to compress, log and send, and for
 * every reader to parse.
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

const NO_WINDOW: number[] = [];

export function encodeFeedEvents(events: readonly SealCommitted[]): string {
  const firstBefore: Record<string, SealState> = {};
  const rows: EncodedGroup['e'] = [];
  const last = new Map<string, number>();
  for (const e of events) {
    const id = e.message.sensorId;
    const previous = last.get(id);
    // A `before` that is not the previous `after` (never from ingest, but kept exact): the plain array.
    if (previous !== undefined && !sameState(events[previous]?.after as SealState, e.before))
      return JSON.stringify(events);
    if (previous === undefined) firstBefore[id] = e.before;
    last.set(id, rows.length);
    rows.push([e.message, e.after, e.householdId, e.gridId]);
  }
  // Windows only on each sensor's last state of the group.
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as EncodedGroup['e'][number];
    if (last.get(row[0].sensorId) !== i) row[1] = { ...row[1], recentSeqs: NO_WINDOW };
  }
  const group: EncodedGroup = { v: 2, b: firstBefore, e: rows };
  return JSON.stringify(group);
}

export function decodeFeedEvents(text: string): SealCommitted[] {
  const parsed = JSON.parse(text) as SealCommitted[] | EncodedGroup;
  if (Array.isArray(parsed)) return parsed;
  // Each sensor's window at the group's end, for its earlier states (one copy per sensor and group).
  const windows = new Map<string, number[]>();
  for (let i = parsed.e.length - 1; i >= 0; i--) {
    const [message, after] = parsed.e[i] as EncodedGroup['e'][number];
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
