import { describe, expect, it } from 'vitest';
import { windowFromStored, windowText } from '../../../storage/dedupWindowText.ts';

/** A full window: 32 [seq, device time] pairs, the times 13-digit epoch ms. */
const fullWindow = Array.from({ length: 64 }, (_, i) =>
  i % 2 === 0 ? 65_000 + i : 1_764_900_000_123 + i * 60_001,
);

describe('the de-duplication window in seal_state.recent_seqs', () => {
  it('reads back exactly what was written, from SQLite text and from PostgreSQL jsonb', () => {
    for (const window of [
      [],
      [0, 0],
      [7, 1_764_900_000_123],
      fullWindow,
      [2 ** 53 - 1, -1_000],
      [...fullWindow, 1, 2],
    ]) {
      const text = windowText(window);
      // What SQLite hands back: the text as written. What PostgreSQL hands back: the parsed jsonb.
      expect(windowFromStored(text)).toEqual(window);
      expect(windowFromStored(JSON.parse(text))).toEqual(window);
    }
  });

  it('is valid JSON (the column is JSON in both stores): a string', () => {
    const text = windowText(fullWindow);
    expect(typeof JSON.parse(text)).toBe('string');
    // 8 bytes a number, in base64, quoted.
    expect(text.length).toBe(2 + Math.ceil((64 * 8) / 3) * 4);
  });

  it('reads windows stored before as JSON arrays, from either store', () => {
    expect(windowFromStored(JSON.stringify(fullWindow))).toEqual(fullWindow);
    expect(windowFromStored('[]')).toEqual([]);
    expect(windowFromStored([3, 1_764_900_000_000])).toEqual([3, 1_764_900_000_000]);
  });

  it('a window written after another is not changed by it (the encoder reuses its buffer)', () => {
    const first = windowText([1, 2, 3, 4]);
    windowText([9, 9]);
    expect(windowFromStored(first)).toEqual([1, 2, 3, 4]);
  });

  it('refuses what is not a window, naming what it found', () => {
    expect(() => windowFromStored(42)).toThrow('recent_seqs is neither text nor an array: number');
    expect(() => windowFromStored('"AAAA"')).toThrow('recent_seqs holds 3 bytes, not whole numbers');
  });
});
