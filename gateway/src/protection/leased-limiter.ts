import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** May the request go on, or after how long may the client try again. */
export type Verdict = { allowed: true } | { allowed: false; retryAfterMs: number };

const ALLOWED: Verdict = { allowed: true };

/** Points this process took from the shared count for one key, spendable until the window ends. */
interface Lease {
  tokens: number;
  /** When the shared window ends (epoch ms): the lease, spent or not, is void after it. */
  until: number;
  /** The shared count is spent: once `tokens` are gone, refuse until `until`. */
  exhausted: boolean;
}

/** How often leases of windows that have ended are dropped, so idle clients do not pile up. */
const SWEEP_INTERVAL_MS = 10_000;

/**
 * A fixed-window limit shared by every gateway through `shared` (Redis), paid for in leases: a
 * process takes `leaseSize` points at a time and spends them in memory, so most requests cost a
 * map lookup instead of a Redis round trip — the difference between a cache hit at the speed of
 * its bytes and one at the speed of Redis. Once the shared count is spent, the process refuses
 * locally until the window ends, so a flood costs Redis nothing either.
 *
 * The price is precision: points leased by one process and not spent there are not available to
 * the client on another, so a client spread over G gateways may be refused up to
 * G × (leaseSize − 1) requests early; never late.
 */
export class LeasedLimiter {
  private readonly leases = new Map<string, Lease>();
  /** One lease request per key in flight; concurrent requests of that key wait for it. */
  private readonly taking = new Map<string, Promise<Lease>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly shared: RateLimiterAbstract,
    private readonly points: number,
    private readonly leaseSize: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Spends one point of `key`: at once while a lease lasts, after one round trip when it must be renewed. */
  consume(key: string, now = Date.now()): Verdict | Promise<Verdict> {
    const lease = this.leases.get(key);
    if (lease && lease.until > now) {
      const verdict = spend(lease, now);
      if (verdict) return verdict;
    }
    return this.renew(key).then((renewed) => spend(renewed, Date.now()) ?? this.consume(key));
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private renew(key: string): Promise<Lease> {
    let taking = this.taking.get(key);
    if (!taking) {
      taking = this.take(key).finally(() => this.taking.delete(key));
      this.taking.set(key, taking);
    }
    return taking;
  }

  private async take(key: string): Promise<Lease> {
    let lease: Lease;
    try {
      const result = await this.shared.consume(key, this.leaseSize);
      lease = { tokens: this.leaseSize, until: Date.now() + result.msBeforeNext, exhausted: false };
    } catch (rejection) {
      // The insurance limiter turns Redis failures into counts: anything else is a bug.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      // The count went past the limit by this lease: what was left before it is still ours.
      const left = this.points - (rejection.consumedPoints - this.leaseSize);
      lease = { tokens: Math.max(0, Math.min(left, this.leaseSize)), until: Date.now() + rejection.msBeforeNext, exhausted: true };
    }
    this.leases.set(key, lease);
    return lease;
  }

  private sweep(now: number): void {
    for (const [key, lease] of this.leases) if (lease.until <= now) this.leases.delete(key);
  }
}

/** One point of `lease`, a refusal when it is exhausted, or undefined when it must be renewed. */
function spend(lease: Lease, now: number): Verdict | undefined {
  if (lease.tokens > 0) {
    lease.tokens--;
    return ALLOWED;
  }
  return lease.exhausted ? { allowed: false, retryAfterMs: Math.max(0, lease.until - now) } : undefined;
}
