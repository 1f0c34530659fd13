import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerState } from './circuit-breaker.js';
import type { AttemptOutcome } from './replica.js';

/** What an upstream shows of its replicas when `/metrics` is scraped. */
export interface ReplicaSnapshot {
  subgraph: string;
  replica: string;
  available: boolean;
  breaker: BreakerState;
}

const OUTCOMES: readonly AttemptOutcome[] = ['ok', 'error', 'unreachable', 'timeout'];

/** The breaker gauge's values. */
const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export type UpstreamMetrics = ReturnType<typeof createUpstreamMetrics>;

/**
 * The subgraph traffic metrics on the gateway's registry, one set per gateway. Replica gauges
 * are read from the live upstreams at scrape time, so they are never stale.
 */
export function createUpstreamMetrics(registry: Registry) {
  const sources = new Set<() => ReplicaSnapshot[]>();
  const snapshots = () => [...sources].flatMap((source) => source());

  const fetchDuration = new Histogram({
    name: 'shopgraph_gateway_subgraph_fetch_duration_seconds',
    help: 'Calls to subgraph replicas, from sending to the last byte of the answer, by subgraph, replica and outcome.',
    labelNames: ['subgraph', 'replica', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'shopgraph_gateway_subgraph_requests_total',
    help: 'Calls sent to each subgraph replica, retries included, by outcome (ok, error, unreachable, timeout).',
    labelNames: ['subgraph', 'replica', 'outcome'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'shopgraph_gateway_subgraph_retries_total',
    help: 'Query calls retried on another replica.',
    labelNames: ['subgraph'] as const,
    registers: [registry],
  });
  const retriesDenied = new Counter({
    name: 'shopgraph_gateway_subgraph_retries_denied_total',
    help: 'Retries not sent because the retry budget was spent.',
    labelNames: ['subgraph'] as const,
    registers: [registry],
  });
  const ejections = new Counter({
    name: 'shopgraph_gateway_subgraph_ejections_total',
    help: 'Replicas taken out of rotation after consecutive calls found nobody listening (and again after a failed probe).',
    labelNames: ['subgraph', 'replica'] as const,
    registers: [registry],
  });
  const deduplicated = new Counter({
    name: 'shopgraph_gateway_subgraph_deduplicated_total',
    help: 'Subgraph query calls answered by an identical call already in flight.',
    labelNames: ['subgraph'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'shopgraph_gateway_subgraph_breaker_state',
    help: 'Circuit breaker of each replica: 0 closed, 1 half-open, 2 open.',
    labelNames: ['subgraph', 'replica'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { subgraph, replica, breaker } of snapshots()) this.set({ subgraph, replica }, BREAKER_STATE_VALUE[breaker]);
    },
  });
  new Gauge({
    name: 'shopgraph_gateway_subgraph_replica_up',
    help: 'Whether each replica is in rotation: healthy, not ejected, breaker not open.',
    labelNames: ['subgraph', 'replica'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { subgraph, replica, available } of snapshots()) this.set({ subgraph, replica }, available ? 1 : 0);
    },
  });

  return {
    /** Adds an upstream's replicas to the gauges; the returned function removes them. */
    track(source: () => ReplicaSnapshot[]): () => void {
      sources.add(source);
      return () => sources.delete(source);
    },
    attempt(subgraph: string, replica: string, outcome: AttemptOutcome, seconds: number) {
      requests.inc({ subgraph, replica, outcome });
      fetchDuration.observe({ subgraph, replica, outcome }, seconds);
    },
    retried(subgraph: string) {
      retries.inc({ subgraph });
    },
    retryDenied(subgraph: string) {
      retriesDenied.inc({ subgraph });
    },
    ejected(subgraph: string, replica: string) {
      ejections.inc({ subgraph, replica });
    },
    deduplicated(subgraph: string) {
      deduplicated.inc({ subgraph });
    },
    /** Drops a replica's series once it has left its upstream, so that pods come and go without the series piling up. */
    forgetReplica(subgraph: string, replica: string) {
      for (const outcome of OUTCOMES) {
        requests.remove({ subgraph, replica, outcome });
        fetchDuration.remove({ subgraph, replica, outcome });
      }
      ejections.remove({ subgraph, replica });
    },
  };
}
