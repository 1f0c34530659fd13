import { describe, expect, it } from 'vitest';
import { remainingMaxAgeS } from './remaining-max-age.js';

describe('remainingMaxAgeS', () => {
  it('gives a fresh entry at least a second, however little of it is left', () => {
    expect(remainingMaxAgeS(10_001, 10_000)).toBe(1);
    expect(remainingMaxAgeS(10_999, 10_000)).toBe(1);
    expect(remainingMaxAgeS(11_000, 10_000)).toBe(1);
    expect(remainingMaxAgeS(11_001, 10_000)).toBe(2);
  });

  it('gives an entry that is no longer fresh nothing', () => {
    expect(remainingMaxAgeS(10_000, 10_000)).toBe(0);
    expect(remainingMaxAgeS(9_000, 10_000)).toBe(0);
  });
});
