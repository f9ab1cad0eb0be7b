/**
 * A commit group copies a sensor's recent-sequence window once and grows the copy in place
 * (issue 20.1). The committed state's window must stay as it was until the group is durable: de-dup
 * answers from it at once, so a window running ahead would PUBACK a message never committed. Real
 * SQLite store (in memory) and bus; telemetry is a DOUBLE that keeps nothing (the spool has its own tests).
 */
import { describe, expect, it } from 'vitest';
import type { SealMessage } from '../../../core/sealMessage.ts';
import { RECENT_WINDOW } from '../../../ingest/dedup.ts';
import type { IngestPipeline } from '../../../ingest/ingestPipeline.ts';
import {
  heartbeat,
  memorySqliteStore,
  pipelineOver,
  PLACEMENT as placement,
  HEARTBEAT_T0 as T0,
} from '../../helpers/ingestPipelineRig.ts';

const beat = (seq: number | null, ts: number): SealMessage => heartbeat('s1', seq, ts);

const pipeline = (): IngestPipeline => pipelineOver(memorySqliteStore());

describe('IngestPipeline: the recent-sequence window of a commit group', () => {
  it('leaves the committed window alone, also when the group starts with a message without a seq', async () => {
    const p = pipeline();
    await p.accept(beat(1, T0), placement);
    const committed = p.state('s1')?.recentSeqs as number[];
    expect(committed).toEqual([1, T0]);
    // One group: no seq first (copies nothing), then two with one.
    const group = [beat(null, T0 + 1), beat(2, T0 + 2), beat(3, T0 + 3)].map((m) => p.accept(m, placement));
    await Promise.all(group);
    expect(committed).toEqual([1, T0]);
    expect(p.state('s1')?.recentSeqs).toEqual([1, T0, 2, T0 + 2, 3, T0 + 3]);
    // Known now: a redelivery of seq 2 is a duplicate, not a new message.
    await p.accept(beat(2, T0 + 2), placement);
    expect(p.getStats().duplicates).toBe(1);
  });

  it('keeps the newest RECENT_WINDOW pairs however many messages one group holds', async () => {
    const p = pipeline();
    const n = RECENT_WINDOW * 3;
    await Promise.all(Array.from({ length: n }, (_, i) => p.accept(beat(i, T0 + i), placement)));
    const window = p.state('s1')?.recentSeqs as number[];
    expect(window).toHaveLength(RECENT_WINDOW * 2);
    expect(window.slice(0, 2)).toEqual([n - RECENT_WINDOW, T0 + n - RECENT_WINDOW]);
    expect(window.slice(-2)).toEqual([n - 1, T0 + n - 1]);
  });
});
