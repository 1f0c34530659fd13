import type { BalancedReplica } from './balancer.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';

export interface EjectionOptions {
  /** Consecutive calls the replica did not answer at all (refused, reset) that eject it. */
  consecutiveFailures: number;
  /** Cool-down of a first ejection; each further one in a row doubles it … */
  baseMs: number;
  /** … up to this. */
  maxMs: number;
}

export interface ReplicaOptions {
  url: string;
  weight: number;
  breaker: Omit<CircuitBreakerOptions, 'now'>;
  ejection: EjectionOptions;
  now?: () => number;
}

/** How one call to a replica ended. */
export type AttemptOutcome =
  /** An answer below 500: the replica works (a 4xx is the request's fault, not the replica's). */
  | 'ok'
  /** An answer of 500 or more. */
  | 'error'
  /** No answer at all: connection refused or reset, DNS … */
  | 'unreachable'
  /** No answer within the call's deadline. */
  | 'timeout';

/**
 * One replica of a subgraph and what the gateway knows about it. Three independent gates keep
 * it out of rotation: the active health check (its `/health` fails), passive outlier ejection
 * (consecutive calls found nobody listening: out for a cool-down, then probed back in) and the
 * circuit breaker (consecutive failed calls of any kind, whatever `/health` says).
 */
export class Replica implements BalancedReplica {
  readonly id: string;
  readonly url: string;
  readonly weight: number;
  readonly breaker: CircuitBreaker;
  inFlight = 0;
  /** Set by the active health check. */
  healthy = true;
  private ejectedUntilProbe = false;
  private unreachableInARow = 0;
  private ejectionsInARow = 0;

  constructor(private readonly options: ReplicaOptions) {
    this.id = options.url;
    this.url = options.url;
    this.weight = options.weight;
    this.breaker = new CircuitBreaker({ ...options.breaker, ...(options.now ? { now: options.now } : {}) });
  }

  get ejected(): boolean {
    return this.ejectedUntilProbe;
  }

  /** Whether a call may be sent to it now; in `panic` its health check is disregarded. */
  isAvailable(panic = false): boolean {
    return (panic || this.healthy) && !this.ejectedUntilProbe && this.breaker.canRequest();
  }

  /**
   * Records the end of a call. Returns the cool-down in ms when this outcome ejects the replica:
   * the caller probes it when the cool-down is over and calls `readmit` or `ejectAgain`.
   */
  record(outcome: AttemptOutcome): number | undefined {
    if (outcome === 'ok') {
      this.breaker.onSuccess();
      this.unreachableInARow = 0;
      this.ejectionsInARow = 0;
      return undefined;
    }
    this.breaker.onFailure();
    if (outcome !== 'unreachable') {
      this.unreachableInARow = 0;
      return undefined;
    }
    if (this.ejectedUntilProbe || ++this.unreachableInARow < this.options.ejection.consecutiveFailures) return undefined;
    return this.eject();
  }

  /** The probe after a cool-down found it answering: back into rotation. */
  readmit(): void {
    this.ejectedUntilProbe = false;
    this.unreachableInARow = 0;
  }

  /** The probe after a cool-down found it still down: out again, for longer. Returns the cool-down. */
  ejectAgain(): number {
    return this.eject();
  }

  private eject(): number {
    this.ejectedUntilProbe = true;
    this.unreachableInARow = 0;
    const { baseMs, maxMs } = this.options.ejection;
    const coolDown = Math.min(maxMs, baseMs * 2 ** Math.min(this.ejectionsInARow, 30));
    this.ejectionsInARow++;
    return coolDown;
  }
}
