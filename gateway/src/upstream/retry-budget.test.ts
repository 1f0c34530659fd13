import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.js';

function budget(ratio: number, minPerSecond: number) {
  const clock = { now: 0 };
  return { budget: new RetryBudget({ ratio, minPerSecond, windowSeconds: 10, now: () => clock.now }), clock };
}

const retriesFor = (retryBudget: RetryBudget, calls: number) => {
  let retries = 0;
  for (let index = 0; index < calls; index++) {
    retryBudget.recordCall();
    if (retryBudget.tryRetry()) retries++;
  }
  return retries;
};

describe('RetryBudget', () => {
  it('allows retries up to the ratio of calls when every call fails', () => {
    const { budget: retryBudget } = budget(0.2, 0);
    expect(retriesFor(retryBudget, 100)).toBe(20);
  });

  it('allows the minimum per second even without traffic', () => {
    const { budget: retryBudget } = budget(0.2, 1);
    const granted = Array.from({ length: 15 }, () => retryBudget.tryRetry()).filter(Boolean);
    expect(granted).toHaveLength(10);
  });

  it('forgets calls and retries older than the window', () => {
    const { budget: retryBudget, clock } = budget(0.5, 0);
    expect(retriesFor(retryBudget, 10)).toBe(5);
    expect(retryBudget.tryRetry()).toBe(false);
    clock.now = 10_000;
    // The ten old calls no longer earn anything, and their retries no longer count.
    expect(retryBudget.tryRetry()).toBe(false);
    expect(retriesFor(retryBudget, 4)).toBe(2);
  });

  it('counts calls over the whole window, not only the current second', () => {
    const { budget: retryBudget, clock } = budget(0.2, 0);
    for (let second = 0; second < 5; second++) {
      clock.now = second * 1000;
      for (let index = 0; index < 2; index++) retryBudget.recordCall();
    }
    clock.now = 9_999;
    expect(retryBudget.tryRetry()).toBe(true);
    expect(retryBudget.tryRetry()).toBe(true);
    expect(retryBudget.tryRetry()).toBe(false);
  });
});
