import { formatDuration } from '../cli/duration.ts';
import type { Expectation } from './scenarioSchema.ts';

/** The parts of an alert (GET /api/alerts) and a seal (GET /api/seals/:id) that expectations look at. */
export interface ObservedAlert {
  id: string;
  type: string;
  sensorId?: string | null;
  gridId?: string | null;
}

export interface ObservedSeal {
  door?: string;
  online?: boolean;
  armed?: boolean;
}

export interface ScenarioIds {
  sensorId(name: string): string;
  nodeId(name: string): string;
  /** Every sensor and grid node the scenario owns: unscoped expectations only look at these. */
  ownsSensor(id: string): boolean;
  ownsNode(id: string): boolean;
}

export type Verdict = 'pending' | 'pass' | 'fail';

export interface ExpectationResult {
  label: string;
  verdict: Verdict;
  detail: string;
}

interface State {
  e: Expectation;
  verdict: Verdict;
  detail: string;
  matches: Map<string, number>;
  lastSeal?: ObservedSeal;
}

export function describeExpectation(e: Expectation): string {
  if (e.label) return e.label;
  const within = `within ${formatDuration(e.within)}`;
  if ('seal' in e) {
    const want = [
      e.door && `door ${e.door}`,
      e.online !== undefined && (e.online ? 'online' : 'offline'),
      e.armed !== undefined && (e.armed ? 'armed' : 'disarmed'),
    ]
      .filter(Boolean)
      .join(', ');
    const from = e.after !== undefined ? ` from ${formatDuration(e.after)}` : '';
    return `seal ${e.seal} is ${want || 'known'}${from} ${within}`;
  }
  const scope = e.sensor ? ` for sensor ${e.sensor}` : e.node ? ` at node ${e.node}` : '';
  if ('alert' in e)
    return `${e.count ? `exactly ${e.count} ` : ''}${e.alert} alert${e.count === 1 || !e.count ? '' : 's'}${scope} ${within}`;
  return `no ${e.noAlert} alert${scope} ${within}`;
}

/**
 * Decides each expectation from what the API showed and when. Pure: the runner feeds it observations with the
 * scenario's elapsed time, so the rules (early pass, early fail, decide at the deadline) are unit-tested.
 */
export class ExpectationTracker {
  readonly #states: State[];
  readonly #ids: ScenarioIds;
  readonly #maxReadGapMs: number;
  /** When the alert list was last read successfully; a noAlert can only pass if it was read up to its deadline. */
  #alertsReadAt: number | null = null;

  constructor(expectations: readonly Expectation[], ids: ScenarioIds, maxReadGapMs = 5000) {
    this.#ids = ids;
    this.#maxReadGapMs = maxReadGapMs;
    this.#states = expectations.map((e) => ({ e, verdict: 'pending', detail: '', matches: new Map() }));
  }

  get pendingCount(): number {
    return this.#states.filter((s) => s.verdict === 'pending').length;
  }

  get decided(): boolean {
    return this.#states.every((s) => s.verdict !== 'pending');
  }

  /** Whether any alert expectation is still open (so the runner needs the alert list). */
  wantsAlerts(): boolean {
    return this.#states.some((s) => s.verdict === 'pending' && !('seal' in s.e));
  }

  /** Seals the runner should fetch: those with pending expectations. */
  pendingSeals(): string[] {
    return this.#states
      .filter((s) => s.verdict === 'pending' && 'seal' in s.e)
      .map((s) => (s.e as { seal: string }).seal);
  }

  #matches(e: Exclude<Expectation, { seal: string }>, a: ObservedAlert): boolean {
    const type = 'alert' in e ? e.alert : e.noAlert;
    if (a.type !== type) return false;
    if (e.sensor !== undefined) return a.sensorId === this.#ids.sensorId(e.sensor);
    if (e.node !== undefined) return a.gridId === this.#ids.nodeId(e.node);
    return (
      (a.sensorId ? this.#ids.ownsSensor(a.sensorId) : false) ||
      (a.gridId ? this.#ids.ownsNode(a.gridId) : false)
    );
  }

  observeAlerts(alerts: readonly ObservedAlert[], elapsedMs: number): void {
    this.#alertsReadAt = elapsedMs;
    for (const s of this.#states) {
      if (s.verdict !== 'pending' || 'seal' in s.e) continue;
      const e = s.e;
      if (elapsedMs > e.within) continue;
      for (const a of alerts) if (this.#matches(e, a) && !s.matches.has(a.id)) s.matches.set(a.id, elapsedMs);
      if ('noAlert' in e && s.matches.size > 0) {
        const [id, at] = [...s.matches][0]!;
        s.verdict = 'fail';
        s.detail = `${e.noAlert} alert ${id} appeared at ${formatDuration(at)}`;
      } else if ('alert' in e && s.matches.size > 0) {
        if (e.count === undefined) {
          const [id, at] = [...s.matches][0]!;
          s.verdict = 'pass';
          s.detail = `alert ${id} seen at ${formatDuration(at)}`;
        } else if (s.matches.size > e.count) {
          s.verdict = 'fail';
          s.detail = `${s.matches.size} matching alerts (${[...s.matches.keys()].join(', ')}), expected ${e.count}`;
        }
      }
    }
  }

  observeSeal(name: string, seal: ObservedSeal, elapsedMs: number): void {
    for (const s of this.#states) {
      if (s.verdict !== 'pending' || !('seal' in s.e) || s.e.seal !== name || elapsedMs > s.e.within)
        continue;
      // Before "after" the state is not yet the one asked about (e.g. the door closes at that time).
      if (s.e.after !== undefined && elapsedMs < s.e.after) continue;
      s.lastSeal = seal;
      const e = s.e;
      const ok =
        (e.door === undefined || seal.door === e.door) &&
        (e.online === undefined || seal.online === e.online) &&
        (e.armed === undefined || seal.armed === e.armed);
      if (ok) {
        s.verdict = 'pass';
        s.detail = `seen at ${formatDuration(elapsedMs)}`;
      }
    }
  }

  /** Closes every expectation whose deadline has passed. */
  tick(elapsedMs: number): void {
    for (const s of this.#states) {
      if (s.verdict !== 'pending' || elapsedMs <= s.e.within) continue;
      const e = s.e;
      if ('seal' in e) {
        s.verdict = 'fail';
        const last = s.lastSeal;
        s.detail = last
          ? `last seen: door ${last.door ?? '?'}, ${last.online ? 'online' : 'offline'}, ${last.armed ? 'armed' : 'disarmed'}`
          : 'the seal could not be read';
      } else if ('noAlert' in e) {
        const readAt = this.#alertsReadAt;
        if (readAt === null || readAt < e.within - this.#maxReadGapMs) {
          s.verdict = 'fail';
          s.detail =
            readAt === null
              ? 'the alert list could not be read, so absence is unproven'
              : `the alert list was last read at ${formatDuration(readAt)}, too early to prove absence`;
        } else {
          s.verdict = 'pass';
          s.detail = 'none appeared';
        }
      } else if (e.count !== undefined && s.matches.size === e.count) {
        s.verdict = 'pass';
        s.detail = `${s.matches.size} seen (${[...s.matches.keys()].join(', ')})`;
      } else {
        s.verdict = 'fail';
        s.detail =
          this.#alertsReadAt === null
            ? 'the alert list could not be read'
            : s.matches.size === 0
              ? 'no matching alert appeared'
              : `${s.matches.size} seen, expected ${e.count}`;
      }
    }
  }

  /** Ends the run: anything still pending (interrupted run) is reported as not decided. */
  results(): ExpectationResult[] {
    return this.#states.map((s) => ({
      label: describeExpectation(s.e),
      verdict: s.verdict,
      detail: s.verdict === 'pending' ? 'not decided (run ended early)' : s.detail,
    }));
  }
}
