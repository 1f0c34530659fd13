import { describe, expect, it } from 'vitest';
import { groupCpuBetween } from './proc.js';

describe('groupCpuBetween', () => {
  it('adds what each process used between the readings; one that appeared in between counts whole, one that left counts nothing', () => {
    const before = new Map([
      [10, 1.5],
      [11, 4],
      [12, 9],
    ]);
    const after = new Map([
      [10, 2],
      [11, 4],
      [13, 0.25],
    ]);
    expect(groupCpuBetween(before, after)).toBeCloseTo(0.75, 9);
  });

  it('never counts a negative difference (a pid reused by a younger process)', () => {
    expect(groupCpuBetween(new Map([[10, 5]]), new Map([[10, 1]]))).toBe(0);
  });
});
