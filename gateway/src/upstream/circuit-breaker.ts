export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failed calls that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before it lets one trial call through. */
  openMs: number;
  now?: () => number;
}

/**
 * A per-replica circuit breaker. Closed: calls flow, consecutive failures are counted; at the
 * threshold it opens. Open: no calls until `openMs` have passed. Half-open: exactly one trial
 * call at a time; its success closes the circuit, its failure opens it for another `openMs`.
 * The trial is a real client call, which is what tells a replica that is up but failing (its
 * `/health` answers, its GraphQL does not) from one that recovered.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The state, an open circuit whose time is up reading as half-open. */
  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.openMs) return 'half-open';
    return this.current;
  }

  /** Whether a call would be let through now (does not reserve the half-open trial). */
  canRequest(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half-open' && !this.trialInFlight);
  }

  /** Records that a call is sent; in half-open it is the trial, and no other call passes until it ends. */
  onRequest(): void {
    if (this.state === 'half-open') {
      this.current = 'half-open';
      this.trialInFlight = true;
    }
  }

  onSuccess(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.current = 'closed';
  }

  onFailure(): void {
    this.trialInFlight = false;
    if (this.current === 'half-open') {
      this.open();
      return;
    }
    if (this.current === 'closed' && ++this.failures >= this.options.failureThreshold) this.open();
  }

  private open(): void {
    this.current = 'open';
    this.openedAt = this.now();
    this.failures = 0;
  }
}
