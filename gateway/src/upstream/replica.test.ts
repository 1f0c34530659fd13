import { describe, expect, it } from 'vitest';
import { Replica } from './replica.js';

function replica() {
  const clock = { now: 0 };
  const instance = new Replica({
    url: 'http://replica-1/graphql',
    weight: 1,
    breaker: { failureThreshold: 5, openMs: 1000 },
    ejection: { consecutiveFailures: 3, baseMs: 100, maxMs: 350 },
    now: () => clock.now,
  });
  return { replica: instance, clock };
}

describe('Replica', () => {
  it('is ejected after consecutive unreachable calls, with a cool-down', () => {
    const { replica: instance } = replica();
    expect(instance.record('unreachable')).toBeUndefined();
    expect(instance.record('unreachable')).toBeUndefined();
    expect(instance.record('unreachable')).toBe(100);
    expect(instance.ejected).toBe(true);
    expect(instance.isAvailable()).toBe(false);
  });

  it('is not ejected by answers, even failed ones, or by timeouts: those are the breaker’s', () => {
    const { replica: instance } = replica();
    for (const outcome of ['unreachable', 'unreachable', 'error', 'unreachable', 'unreachable', 'timeout', 'unreachable'] as const) {
      expect(instance.record(outcome)).toBeUndefined();
    }
    expect(instance.ejected).toBe(false);
  });

  it('doubles the cool-down of each ejection in a row up to the maximum, and resets after a success', () => {
    const { replica: instance } = replica();
    for (let index = 0; index < 3; index++) instance.record('unreachable');
    expect(instance.ejectAgain()).toBe(200);
    expect(instance.ejectAgain()).toBe(350);
    instance.readmit();
    expect(instance.isAvailable()).toBe(true);
    instance.record('ok');
    for (let index = 0; index < 2; index++) instance.record('unreachable');
    expect(instance.record('unreachable')).toBe(100);
  });

  it('leaves rotation when its health check fails or its breaker opens', () => {
    const { replica: instance, clock } = replica();
    instance.healthy = false;
    expect(instance.isAvailable()).toBe(false);
    // In panic (no replica of the subgraph passes its check) the check is disregarded.
    expect(instance.isAvailable(true)).toBe(true);
    instance.healthy = true;
    for (let index = 0; index < 5; index++) instance.record('error');
    expect(instance.breaker.state).toBe('open');
    expect(instance.isAvailable()).toBe(false);
    clock.now = 1000;
    expect(instance.isAvailable()).toBe(true);
  });
});
