export interface RetryBudgetOptions {
  /** Retries allowed as a fraction of the calls in the window: 0.2 = at most 20 % extra requests. */
  ratio: number;
  /** Retries per second allowed whatever the traffic, so a quiet subgraph still gets its retries. */
  minPerSecond: number;
  /** The sliding window, in whole seconds. */
  windowSeconds?: number;
  now?: () => number;
}

interface Bucket {
  second: number;
  calls: number;
  retries: number;
}

/**
 * A retry budget (as in Finagle and Envoy): over the last `windowSeconds`, retries may not exceed
 * `minPerSecond × windowSeconds + ratio × calls`. When a subgraph fails everywhere, retries stop
 * at the budget instead of multiplying its load by the number of attempts.
 */
export class RetryBudget {
  private readonly buckets: Bucket[];
  private readonly windowSeconds: number;
  private readonly now: () => number;

  constructor(private readonly options: RetryBudgetOptions) {
    this.windowSeconds = options.windowSeconds ?? 10;
    this.now = options.now ?? Date.now;
    this.buckets = Array.from({ length: this.windowSeconds }, () => ({ second: -1, calls: 0, retries: 0 }));
  }

  /** Counts a first attempt, which earns `ratio` of a retry. */
  recordCall(): void {
    this.bucket().calls++;
  }

  /** Takes one retry from the budget if there is one left. */
  tryRetry(): boolean {
    const current = Math.floor(this.now() / 1000);
    let calls = 0;
    let retries = 0;
    for (const bucket of this.buckets) {
      if (current - bucket.second < this.windowSeconds) {
        calls += bucket.calls;
        retries += bucket.retries;
      }
    }
    const allowed = Math.floor(this.options.minPerSecond * this.windowSeconds + this.options.ratio * calls);
    if (retries >= allowed) return false;
    this.bucket().retries++;
    return true;
  }

  private bucket(): Bucket {
    const second = Math.floor(this.now() / 1000);
    const bucket = this.buckets[second % this.windowSeconds]!;
    if (bucket.second !== second) {
      bucket.second = second;
      bucket.calls = 0;
      bucket.retries = 0;
    }
    return bucket;
  }
}
