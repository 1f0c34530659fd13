import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

function breaker() {
  const clock = { now: 0 };
  const circuit = new CircuitBreaker({ failureThreshold: 3, openMs: 1000, now: () => clock.now });
  return { circuit, clock };
}

const fail = (circuit: CircuitBreaker, times: number) => {
  for (let index = 0; index < times; index++) {
    circuit.onRequest();
    circuit.onFailure();
  }
};

describe('CircuitBreaker', () => {
  it('stays closed below the threshold, and a success resets the count', () => {
    const { circuit } = breaker();
    fail(circuit, 2);
    circuit.onSuccess();
    fail(circuit, 2);
    expect(circuit.state).toBe('closed');
    expect(circuit.canRequest()).toBe(true);
  });

  it('opens after the threshold of consecutive failures and refuses calls while open', () => {
    const { circuit, clock } = breaker();
    fail(circuit, 3);
    expect(circuit.state).toBe('open');
    clock.now = 999;
    expect(circuit.canRequest()).toBe(false);
  });

  it('half-opens after openMs and lets exactly one trial call through', () => {
    const { circuit, clock } = breaker();
    fail(circuit, 3);
    clock.now = 1000;
    expect(circuit.state).toBe('half-open');
    expect(circuit.canRequest()).toBe(true);
    circuit.onRequest();
    expect(circuit.canRequest()).toBe(false);
  });

  it('closes when the trial succeeds', () => {
    const { circuit, clock } = breaker();
    fail(circuit, 3);
    clock.now = 1000;
    circuit.onRequest();
    circuit.onSuccess();
    expect(circuit.state).toBe('closed');
    expect(circuit.canRequest()).toBe(true);
  });

  it('opens again for openMs when the trial fails', () => {
    const { circuit, clock } = breaker();
    fail(circuit, 3);
    clock.now = 1000;
    fail(circuit, 1);
    expect(circuit.state).toBe('open');
    clock.now = 1999;
    expect(circuit.canRequest()).toBe(false);
    clock.now = 2000;
    expect(circuit.state).toBe('half-open');
  });

  it('ignores failures of calls sent before it opened', () => {
    const { circuit, clock } = breaker();
    fail(circuit, 3);
    circuit.onFailure();
    clock.now = 1000;
    expect(circuit.state).toBe('half-open');
  });
});
