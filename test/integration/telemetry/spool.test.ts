import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool, type SpoolBatch, segmentFileName } from '../../../ingest/telemetry/spool.ts';
import { captureLogger, tempDir } from './support.ts';

/** A batch's body line by line, without the newlines. */
const batchLines = (body: Buffer): string[] =>
  body.length === 0 ? [] : body.toString('utf8', 0, body.length - 1).split('\n');

function openSpool(dir: string, overrides: Partial<Parameters<typeof Spool.open>[0]> = {}) {
  const { logger, lines } = captureLogger();
  const spool = Spool.open({
    dir,
    maxBytes: 1 << 30,
    segmentBytes: 1 << 20,
    memoryMaxLines: 1000,
    logger,
    ...overrides,
  });
  return { spool, logs: lines };
}

const numbered = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `door,sensor=S-1 seq=${from + i}i ${from + i}`);

async function drain(spool: Spool, batchSize: number): Promise<string[]> {
  const sent: string[] = [];
  for (;;) {
    const batch: SpoolBatch | null = await spool.readBatch(batchSize);
    if (!batch) return sent;
    sent.push(...batchLines(batch.body));
    spool.commit(batch);
  }
}

describe('telemetry spool (segment files and cursor)', () => {
  it('hands out lines in append order and keeps nothing once all are committed', async () => {
    const { spool } = openSpool(tempDir('spool'));
    spool.append(numbered(0, 10));
    spool.append(numbered(10, 5));
    expect(spool.pendingLines).toBe(15);
    expect(await drain(spool, 4)).toEqual(numbered(0, 15));
    expect(spool.pendingLines).toBe(0);
    expect(spool.pendingBytes()).toBe(0);
    expect(await spool.readBatch(4)).toBeNull();
    spool.close();
  });

  it('does not move the cursor for a batch that was read but not committed', async () => {
    const dir = tempDir('spool');
    const first = openSpool(dir).spool;
    first.append(numbered(0, 10));
    const sent = await first.readBatch(4);
    first.commit(sent!);
    const inFlight = await first.readBatch(4);
    expect(batchLines(inFlight!.body)).toEqual(numbered(4, 4));
    first.close(); // "crash" with a batch in flight: it is sent again, nothing is skipped

    const second = openSpool(dir).spool;
    expect(second.pendingLines).toBe(6);
    expect(await drain(second, 100)).toEqual(numbered(4, 6));
    second.close();
  });

  it('resumes from the persisted cursor after a restart, reading from disk, then returns to memory', async () => {
    const dir = tempDir('spool');
    const first = openSpool(dir, { segmentBytes: 300 }).spool;
    first.append(numbered(0, 50));
    const batch = await first.readBatch(7);
    first.commit(batch!);
    first.close();

    const { spool: second, logs } = openSpool(dir, { segmentBytes: 300 });
    expect(logs.some((l) => String(l.msg).includes('replaying'))).toBe(true);
    expect(second.pendingLines).toBe(43);
    second.append(numbered(50, 3));
    const replayed = await drain(second, 10);
    expect(replayed).toEqual(numbered(7, 46));
    // Caught up: later lines come from the memory tail, still in order.
    second.append(numbered(53, 2));
    const next = await second.readBatch(10);
    expect(next!.fromMemory).toBe(true);
    expect(batchLines(next!.body)).toEqual(numbered(53, 2));
    second.commit(next!);
    second.close();
  });

  it('ends a batch inside one append of non-ASCII lines at the right byte, so a restart resumes on the next line', async () => {
    const dir = tempDir('spool');
    // Tag values in Chinese (a grid named after its street) are three bytes a character in UTF-8.
    const chinese = (from: number, count: number): string[] =>
      Array.from({ length: count }, (_, i) => `door,grid=东湖街道 seq=${from + i}i ${from + i}`);
    const first = openSpool(dir).spool;
    first.append(chinese(0, 5));
    const batch = await first.readBatch(2);
    expect(batch!.fromMemory).toBe(true);
    expect(batchLines(batch!.body)).toEqual(chinese(0, 2));
    first.commit(batch!);
    const next = await first.readBatch(2);
    expect(batchLines(next!.body)).toEqual(chinese(2, 2));
    first.commit(next!);
    first.close();

    const second = openSpool(dir).spool;
    expect(second.pendingLines).toBe(1);
    expect(await drain(second, 10)).toEqual(chinese(4, 1));
    second.close();
  });

  it('writes the cursor at most once a second: a crash re-sends what went since, and loses nothing', async () => {
    const dir = tempDir('spool');
    const savedCursor = () => JSON.parse(fs.readFileSync(path.join(dir, 'cursor.json'), 'utf8'));
    const first = openSpool(dir).spool;
    first.append(numbered(0, 9));
    const one = await first.readBatch(3);
    first.commit(one!);
    expect(savedCursor()).toEqual(one!.end); // the first commit after a quiet second is written at once
    const two = await first.readBatch(3);
    first.commit(two!);
    expect(savedCursor()).toEqual(one!.end); // the next one waits

    // "kill -9" now (no close; a copy of the files as they are): the second batch is sent again after
    // the restart, and nothing is skipped.
    const crashed = tempDir('spool-crashed');
    fs.cpSync(dir, crashed, { recursive: true });
    const afterCrash = openSpool(crashed).spool;
    expect(await drain(afterCrash, 100)).toEqual(numbered(3, 6));
    afterCrash.close();

    // Left running, the waiting cursor is written within the second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(savedCursor()).toEqual(two!.end);
    first.close();
  });

  it('rotates segments and deletes the ones fully sent', async () => {
    const dir = tempDir('spool');
    const { spool } = openSpool(dir, { segmentBytes: 200 });
    for (let i = 0; i < 40; i++) spool.append(numbered(i, 1));
    const segments = () => fs.readdirSync(dir).filter((f) => f.startsWith('segment-'));
    expect(segments().length).toBeGreaterThan(5);
    expect(await drain(spool, 3)).toEqual(numbered(0, 40));
    expect(segments()).toHaveLength(1);
    spool.close();
  });

  it('reads from the files when the memory tail overflows, without losing or reordering lines', async () => {
    const { spool } = openSpool(tempDir('spool'), { memoryMaxLines: 10, segmentBytes: 500 });
    spool.append(numbered(0, 8));
    const inMemory = await spool.readBatch(5);
    expect(inMemory!.fromMemory).toBe(true);
    spool.append(numbered(8, 30)); // overflows the memory tail while a batch is in flight
    spool.commit(inMemory!);
    const rest = await drain(spool, 6);
    expect([...batchLines(inMemory!.body), ...rest]).toEqual(numbered(0, 38));
    spool.close();
  });

  it('drops the oldest segment past the bound, counts the lost lines and says so loudly', async () => {
    const { spool, logs } = openSpool(tempDir('spool'), { maxBytes: 1000, segmentBytes: 250 });
    for (let i = 0; i < 100; i++) spool.append(numbered(i, 1));
    expect(spool.droppedLines).toBeGreaterThan(0);
    expect(spool.droppedLines + spool.pendingLines).toBe(100);
    expect(spool.pendingBytes()).toBeLessThanOrEqual(1000);
    const dropLog = logs.find((l) => l.droppedPoints !== undefined);
    expect(dropLog).toMatchObject({ level: 50, spoolMaxBytes: 1000 });
    // What is left is the newest lines, in order.
    expect(await drain(spool, 7)).toEqual(numbered(spool.droppedLines, 100 - spool.droppedLines));
    spool.close();
  });

  it('ignores the commit of a batch whose segment the bound dropped meanwhile', async () => {
    const { spool } = openSpool(tempDir('spool'), { maxBytes: 1000, segmentBytes: 250 });
    spool.append(numbered(0, 3));
    const inFlight = await spool.readBatch(3);
    for (let i = 3; i < 100; i++) spool.append(numbered(i, 1));
    spool.commit(inFlight!);
    expect(spool.droppedLines + spool.pendingLines).toBe(100);
    expect(await drain(spool, 7)).toEqual(numbered(spool.droppedLines, 100 - spool.droppedLines));
    spool.close();
  });

  it('removes a torn last line left by a cut-short write, and replays from the oldest if the cursor is unreadable', async () => {
    const dir = tempDir('spool');
    const first = openSpool(dir).spool;
    first.append(numbered(0, 3));
    await drain(first, 2);
    first.close();
    fs.appendFileSync(path.join(dir, segmentFileName(1)), 'door,sensor=S-1 seq=3');
    fs.writeFileSync(path.join(dir, 'cursor.json'), '{not json');

    const { spool, logs } = openSpool(dir);
    expect(logs.some((l) => String(l.msg).includes('partial line'))).toBe(true);
    expect(logs.some((l) => String(l.msg).includes('cursor unreadable'))).toBe(true);
    expect(await drain(spool, 10)).toEqual(numbered(0, 3));
    spool.close();
  });
});
