import { round } from './proc.js';

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

/** Exact percentiles (nearest rank) of every sample, in the samples' unit, rounded to 0.01. */
export function percentiles(samples: Float64Array | number[]): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  if (sorted.length === 0) return { p50: 0, p90: 0, p99: 0, mean: 0 };
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { p50: round(at(0.5), 2), p90: round(at(0.9), 2), p99: round(at(0.99), 2), mean: round(sum / sorted.length, 2) };
}

export function concat(arrays: Float64Array[]): Float64Array {
  const all = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    all.set(a, offset);
    offset += a.length;
  }
  return all;
}

/** `a / b`, or null when b is zero (a ratio that cannot be measured is not reported as one). */
export const ratio = (a: number, b: number, digits = 3): number | null => (b > 0 ? round(a / b, digits) : null);

/** Deterministic pseudo-random numbers (mulberry32), so every run asks for the same things. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` draws of ranks 1..n from a Zipf distribution (P(rank) ∝ 1/rank^s): a few products are
 * asked for all the time, most rarely — the shape of real catalog traffic.
 */
export function zipfRanks(n: number, count: number, s: number, random: () => number): number[] {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 1; rank <= n; rank++) {
    total += 1 / rank ** s;
    cumulative[rank - 1] = total;
  }
  return Array.from({ length: count }, () => {
    const target = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  });
}
