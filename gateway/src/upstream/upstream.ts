import type { Logger } from '@shopgraph/common';
import { createBalancer, type Balancer, type BalancerStrategy } from './balancer.js';
import { Deadline } from './deadline.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import { InFlightDeduplicator } from './deduplicator.js';
import { subgraphTimeout, subgraphUnavailable } from './errors.js';
import { Replica, type AttemptOutcome, type EjectionOptions } from './replica.js';
import { RetryBudget } from './retry-budget.js';
import { SubgraphClient, type RequestTarget, type UpstreamAnswer } from './subgraph-client.js';
import type { UpstreamMetrics } from './upstream-metrics.js';

/** One replica as configured: `SUBGRAPH_REPLICAS_<NAME>=url|weight,…`. */
export interface ReplicaSpec {
  url: string;
  weight: number;
}

/** How the gateway treats one subgraph's replicas. */
export interface UpstreamPolicy {
  balancer: BalancerStrategy;
  /** Deadline of one subgraph call, retries included. */
  timeoutMs: number;
  retries: {
    /** Further replicas a failed query may be sent to. */
    max: number;
    budgetRatio: number;
    budgetMinPerSecond: number;
  };
  breaker: Omit<CircuitBreakerOptions, 'now'>;
  ejection: EjectionOptions;
  healthCheck: {
    /** 0 turns active checks off (ejected replicas are still probed before they return). */
    intervalMs: number;
    timeoutMs: number;
  };
  /** Join identical concurrent query calls (same body, same viewer) into one. */
  dedupe: boolean;
}

/** One subgraph call as the data source hands it over. */
export interface UpstreamCall {
  /** The exact request body. */
  body: string;
  /** Identifies the viewer the call is made for: identical bodies for different viewers are different calls. */
  viewerKey: string;
  /** The client's IP, for `ip-hash`. */
  clientKey?: string;
  /** Queries may be retried and deduplicated; a mutation is sent exactly once. */
  idempotent: boolean;
}

/** The headers of one attempt at `url`: the data source signs each attempt for the replica it goes to. */
export type AttemptHeaders = (url: string) => Record<string, string>;

/** `GET <replica origin>/health` answered 2xx in time. */
export type HealthProbe = (graphqlUrl: string, timeoutMs: number) => Promise<boolean>;

export interface SubgraphUpstreamOptions {
  subgraph: string;
  replicas: ReplicaSpec[];
  policy: UpstreamPolicy;
  metrics: UpstreamMetrics;
  logger: Logger;
  probe: HealthProbe;
}

/** 502, 503 and 504 say "nobody behind me answered": for the client that is an unavailable subgraph. */
export const isUnavailableStatus = (status: number) => status === 502 || status === 503 || status === 504;

/** `notSent`: the connection was refused before a byte left, so even a mutation may go elsewhere. */
type Attempt = { outcome: AttemptOutcome; answer?: UpstreamAnswer; notSent?: boolean };

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Whether a failed call never reached the replica (a wrapped socket error is looked for in `cause`). */
function neverSent(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * All traffic to one subgraph: picks a replica per call with the configured balancer among those
 * in rotation, bounds the call by the subgraph's timeout, retries a failed query on another
 * replica within the retry budget, joins identical concurrent queries, and keeps each replica's
 * health (active checks, outlier ejection, circuit breaker) and metrics.
 */
export class SubgraphUpstream {
  readonly subgraph: string;
  private current: readonly Replica[];
  private balancer: Balancer<Replica>;
  private readonly budget: RetryBudget;
  private readonly inFlight = new InFlightDeduplicator<UpstreamAnswer>();
  private readonly client = new SubgraphClient();
  /** Each replica's parsed URL; a replica that leaves takes its entry with it. */
  private readonly targets = new WeakMap<Replica, RequestTarget>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly untrack: () => void;
  private closed = false;

  constructor(private readonly options: SubgraphUpstreamOptions) {
    const { subgraph, replicas, policy, metrics } = options;
    this.subgraph = subgraph;
    this.current = replicas.map((spec) => this.newReplica(spec));
    this.balancer = createBalancer(policy.balancer, this.current);
    this.budget = new RetryBudget({ ratio: policy.retries.budgetRatio, minPerSecond: policy.retries.budgetMinPerSecond });
    this.untrack = metrics.track(() => {
      const panic = this.inPanic();
      return this.replicas.map((replica) => ({
        subgraph,
        replica: replica.id,
        available: replica.isAvailable(panic),
        breaker: replica.breaker.state,
      }));
    });
    if (policy.healthCheck.intervalMs > 0) this.startHealthChecks(policy.healthCheck.intervalMs);
  }

  /** The replicas in service, in the order they were given. */
  get replicas(): readonly Replica[] {
    return this.current;
  }

  /**
   * Replaces the replica set in place (replica discovery). A replica whose URL and weight stay keeps
   * its state: breaker, ejection, health, calls in flight. A dropped one gets no new call; those in
   * flight finish, and its metric series go with the last of them. `specs` must not be empty.
   */
  setReplicas(specs: readonly ReplicaSpec[]): void {
    const kept = new Map(this.current.map((replica) => [`${replica.url}|${replica.weight}`, replica]));
    const next = specs.map((spec) => kept.get(`${spec.url}|${spec.weight}`) ?? this.newReplica(spec));
    const dropped = this.current.filter((replica) => !next.includes(replica));
    const added = next.filter((replica) => !this.current.includes(replica));
    if (dropped.length === 0 && added.length === 0) return;
    this.current = next;
    // Rebuilt because ip-hash's ring is made of the whole replica set.
    this.balancer = createBalancer(this.options.policy.balancer, next);
    for (const replica of dropped) this.forgetIfIdle(replica);
    this.options.logger.info(
      { subgraph: this.subgraph, added: added.map((replica) => replica.id), removed: dropped.map((replica) => replica.id) },
      'subgraph replicas changed',
    );
  }

  /**
   * POSTs `call` to a replica; resolves with its answer or rejects with SUBGRAPH_UNAVAILABLE /
   * SUBGRAPH_TIMEOUT. A deduplicated answer is shared: callers must not change it.
   */
  fetch(call: UpstreamCall, headersFor: AttemptHeaders): Promise<UpstreamAnswer> {
    if (!call.idempotent || !this.options.policy.dedupe) return this.execute(call, headersFor);
    return this.inFlight.run(`${call.viewerKey}\n${call.body}`, () => this.execute(call, headersFor), () =>
      this.options.metrics.deduplicated(this.subgraph),
    );
  }

  /** Stops health checks and probes, and closes the pooled connections. */
  close(): void {
    this.closed = true;
    this.client.close();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.untrack();
  }

  private newReplica({ url, weight }: ReplicaSpec): Replica {
    const { breaker, ejection } = this.options.policy;
    return new Replica({ url, weight, breaker, ejection });
  }

  private serves(replica: Replica): boolean {
    return this.current.includes(replica);
  }

  /** Removes a dropped replica's series once no call is in flight on it, unless its URL is back under another weight. */
  private forgetIfIdle(replica: Replica): void {
    if (replica.inFlight > 0 || this.current.some((other) => other.id === replica.id)) return;
    this.options.metrics.forgetReplica(this.subgraph, replica.id);
  }

  private async execute(call: UpstreamCall, headersFor: AttemptHeaders): Promise<UpstreamAnswer> {
    const deadline = new Deadline(this.options.policy.timeoutMs);
    try {
      return await this.retrying(call, headersFor, deadline);
    } finally {
      deadline.clear();
    }
  }

  private async retrying(call: UpstreamCall, headersFor: AttemptHeaders, deadline: Deadline): Promise<UpstreamAnswer> {
    const { timeoutMs, retries } = this.options.policy;
    const tried = new Set<Replica>();
    this.budget.recordCall();
    let replica = this.pick(call, tried);
    let last: Attempt | undefined;
    while (replica) {
      tried.add(replica);
      last = await this.attempt(replica, call, headersFor, deadline);
      if (last.outcome === 'ok') return last.answer!;
      // A timeout has spent the deadline; a mutation that reached a replica may have taken effect
      // even if it failed, but one whose connection was refused was never sent.
      if (last.outcome === 'timeout' || (!call.idempotent && !last.notSent) || tried.size > retries.max) break;
      replica = this.pick(call, tried);
      if (!replica) break;
      if (!this.budget.tryRetry()) {
        this.options.metrics.retryDenied(this.subgraph);
        break;
      }
      this.options.metrics.retried(this.subgraph);
    }
    if (last?.outcome === 'timeout') throw subgraphTimeout(timeoutMs);
    // A replica's own answer (a 500 with its errors) says more than "unavailable"; the data source maps it.
    if (last?.answer) return last.answer;
    throw subgraphUnavailable();
  }

  /**
   * When no replica passes its health check, the checks are disregarded (Envoy's panic mode): a
   * broken or overloaded `/health` must not take down a subgraph whose GraphQL still answers.
   * Ejection and breakers, which judge the real calls, still apply.
   */
  private inPanic(): boolean {
    return this.replicas.every((replica) => !replica.healthy);
  }

  private pick(call: UpstreamCall, tried: Set<Replica>): Replica | undefined {
    const panic = this.inPanic();
    const available = this.replicas.filter((replica) => !tried.has(replica) && replica.isAvailable(panic));
    return this.balancer.pick(available, call.clientKey);
  }

  private targetOf(replica: Replica): RequestTarget {
    let target = this.targets.get(replica);
    if (!target) {
      target = this.client.targetOf(replica.url);
      this.targets.set(replica, target);
    }
    return target;
  }

  private async attempt(replica: Replica, call: UpstreamCall, headersFor: AttemptHeaders, deadline: Deadline): Promise<Attempt> {
    replica.breaker.onRequest();
    replica.inFlight++;
    const startedAt = process.hrtime.bigint();
    let attempt: Attempt;
    try {
      // A query may go out again on a new connection when its pooled one was closed under it.
      const answer = await this.client.post(this.targetOf(replica), () => headersFor(replica.url), call.body, deadline, call.idempotent);
      attempt = { outcome: answer.status >= 500 ? 'error' : 'ok', answer };
    } catch (error) {
      attempt = deadline.expired ? { outcome: 'timeout' } : { outcome: 'unreachable', notSent: neverSent(error) };
      if (attempt.outcome === 'unreachable') {
        this.options.logger.warn({ err: error, subgraph: this.subgraph, replica: replica.id }, 'subgraph replica did not answer');
      }
    } finally {
      replica.inFlight--;
    }
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    this.options.metrics.attempt(this.subgraph, replica.id, attempt.outcome, seconds);
    // A replica dropped while this call was in flight: nothing to judge it for any more.
    if (!this.serves(replica)) {
      this.forgetIfIdle(replica);
      return attempt;
    }
    const coolDownMs = replica.record(attempt.outcome);
    if (coolDownMs !== undefined) this.ejected(replica, coolDownMs);
    return attempt;
  }

  private ejected(replica: Replica, coolDownMs: number): void {
    this.options.metrics.ejected(this.subgraph, replica.id);
    this.options.logger.warn({ subgraph: this.subgraph, replica: replica.id, coolDownMs }, 'subgraph replica ejected');
    this.after(coolDownMs, async () => {
      const answering = await this.options.probe(replica.url, this.options.policy.healthCheck.timeoutMs);
      // Dropped by discovery meanwhile: its pod may be gone for good, so it is not probed on and on.
      if (!this.serves(replica)) return;
      if (answering) {
        replica.readmit();
        this.options.logger.info({ subgraph: this.subgraph, replica: replica.id }, 'subgraph replica readmitted');
      } else {
        this.ejected(replica, replica.ejectAgain());
      }
    });
  }

  private startHealthChecks(intervalMs: number): void {
    const checking = new Set<Replica>();
    const check = async (replica: Replica) => {
      // A replica slower to answer than the interval is not probed twice at once.
      if (checking.has(replica)) return;
      checking.add(replica);
      try {
        const healthy = await this.options.probe(replica.url, this.options.policy.healthCheck.timeoutMs);
        if (healthy !== replica.healthy) {
          const log = healthy ? this.options.logger.info : this.options.logger.warn;
          log.call(this.options.logger, { subgraph: this.subgraph, replica: replica.id, healthy }, 'subgraph replica health changed');
        }
        replica.healthy = healthy;
      } finally {
        checking.delete(replica);
      }
    };
    const tick = () => {
      for (const replica of this.replicas) void check(replica);
      this.after(intervalMs, tick);
    };
    this.after(intervalMs, tick);
  }

  /** Runs `task` once after `ms`, unless the upstream is closed by then; never keeps the process alive. */
  private after(ms: number, task: () => void | Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) void task();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
