import { type Clock, systemClock } from '../../core/clock.ts';

/**
 * InfluxDB keeps one point per series and timestamp: a second point with the
 * same series and time replaces the first, silently. VictoriaMetrics stores
 * only milliseconds, and with `-dedup.minScrapeInterval` keeps one sample per
 * series and millisecond. Two messages of one sensor in one millisecond (a
 * sensor that answers as soon as it got its PUBACK, a gateway's burst, a
 * device clock stuck on one value) would each lose all but one point.
 *
 * So every point of a series gets a millisecond of its own: a point whose
 * millisecond is already taken in its series moves to the next free one.
 * Order of arrival is kept (each move goes forward past what was taken) and
 * the same millisecond works in every store. The device's own time stays in
 * the door history; a move is counted in `moved`.
 *
 * Taken times are remembered as a few runs of consecutive milliseconds per
 * series, for the last one to two minutes of wall time: a point that takes
 * the same millisecond as one written longer ago than that would need a
 * device clock that went back by exactly that much, and a repeated message
 * is already dropped by de-duplication (same seq and ts) before it gets here.
 * One repeat does reach here: a message whose group commit failed without the
 * process dying is spooled, not acknowledged, and sent again by the sensor. The
 * last few points of each series are remembered with their own time and fields,
 * and the same point again gets the same millisecond, so it lands on itself.
 * A point re-sent from the spool keeps the time it was given, so a re-sent
 * batch still lands on the same points.
 */
const RUNS_PER_SERIES = 4;
const RECENT_PER_SERIES = 4;

interface SeriesState {
  /** [start, end] pairs of taken milliseconds, least recently used first. */
  runs: number[];
  /** The last points: their own time, their fields, the millisecond they were given. */
  recent: Array<{ time: number; fields: string; at: number }>;
}
const GENERATION_MS = 60_000;

export class SeriesTimes {
  private current = new Map<string, SeriesState>();
  private previous = new Map<string, SeriesState>();
  private generationStart: number;
  private movedPoints = 0;

  constructor(private readonly clock: Clock = systemClock) {
    this.generationStart = clock.now();
  }

  /**
   * The millisecond this point of `series` is written at: `time`, or the next free one after it; the
   * one it was given before if the same point (`fields` and `time`) came lately.
   */
  assign(series: string, time: number, fields: string): number {
    this.rotate();
    let state = this.current.get(series);
    if (state === undefined) {
      state = this.previous.get(series) ?? { runs: [], recent: [] };
      this.current.set(series, state);
    }
    for (const r of state.recent) if (r.time === time && r.fields === fields) return r.at;
    const runs = state.runs;
    let at = time;
    for (let i = 0; i < runs.length; i += 2) {
      if (at >= runs[i]! && at <= runs[i + 1]!) {
        at = runs[i + 1]! + 1;
        i = -2; // the next free millisecond may begin another run: look again from the first
      }
    }
    if (at !== time) this.movedPoints++;
    take(runs, at);
    if (state.recent.length < RECENT_PER_SERIES) state.recent.push({ time, fields, at });
    else {
      // The oldest entry is reused: no object per point once a series has its four (issue 20.1).
      const oldest = state.recent.shift() as SeriesState['recent'][number];
      oldest.time = time;
      oldest.fields = fields;
      oldest.at = at;
      state.recent.push(oldest);
    }
    return at;
  }

  /** Points that were moved to a later millisecond since the start. */
  get moved(): number {
    return this.movedPoints;
  }

  private rotate(): void {
    const now = this.clock.now();
    if (now - this.generationStart < GENERATION_MS) return;
    this.previous = this.current;
    this.current = new Map();
    this.generationStart = now;
  }
}

/** Adds `at` (known to be free) to the runs: it joins a run it touches, or starts one; the run it lands in moves last. */
function take(runs: number[], at: number): void {
  let joined = -1;
  for (let i = 0; i < runs.length; i += 2) {
    if (runs[i + 1]! + 1 === at) {
      runs[i + 1] = at;
      joined = i;
      break;
    }
    if (runs[i]! - 1 === at) {
      runs[i] = at;
      joined = i;
      break;
    }
  }
  if (joined >= 0) {
    const start = runs[joined]!;
    const end = runs[joined + 1]!;
    // The run may now touch another one: merge them, so a later look-up steps over both at once.
    for (let i = 0; i < runs.length; i += 2) {
      if (i === joined) continue;
      if (runs[i]! === end + 1 || runs[i + 1]! === start - 1) {
        const merged = [Math.min(start, runs[i]!), Math.max(end, runs[i + 1]!)] as const;
        runs.splice(Math.max(i, joined), 2);
        runs.splice(Math.min(i, joined), 2);
        runs.push(merged[0], merged[1]);
        return;
      }
    }
    // Most points extend the run that moved last already: no need to move it (nor to allocate).
    if (joined !== runs.length - 2) {
      runs.splice(joined, 2);
      runs.push(start, end);
    }
    return;
  }
  if (runs.length >= RUNS_PER_SERIES * 2) runs.splice(0, 2);
  runs.push(at, at);
}
