import { describe, expect, it } from 'vitest';
import { median, spreadPercent } from '../../../bench/lib/repeat.ts';

describe('bench repeat statistics', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('reports the largest distance from the median in percent', () => {
    expect(spreadPercent([100, 110, 90])).toBe(10);
    expect(spreadPercent([100, 100, 125])).toBe(25);
    expect(spreadPercent([5])).toBe(0);
  });
});
