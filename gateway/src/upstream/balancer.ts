import { HashRing } from './hash-ring.js';

/** What a balancer needs to know about a replica. */
export interface BalancedReplica {
  /** Unique within a subgraph: the replica's URL. */
  readonly id: string;
  /** Relative share of traffic, ≥ 1 (weighted strategies and the hash ring). */
  readonly weight: number;
  /** Requests sent to it and not yet answered (least-connections). */
  readonly inFlight: number;
}

/** Picks the replica for one call among those currently available. */
export interface Balancer<R extends BalancedReplica> {
  /**
   * `available` is a subset, in configuration order, of the replicas the balancer was made
   * for; `clientKey` identifies the client (its IP) for the strategies that need one.
   * Returns `undefined` only when `available` is empty.
   */
  pick(available: readonly R[], clientKey?: string): R | undefined;
}

export const balancerStrategies = ['round-robin', 'weighted-round-robin', 'least-connections', 'ip-hash'] as const;
export type BalancerStrategy = (typeof balancerStrategies)[number];

/** Each available replica in turn; weights are ignored. */
export function roundRobin<R extends BalancedReplica>(): Balancer<R> {
  let cursor = 0;
  return {
    pick(available) {
      if (available.length === 0) return undefined;
      const replica = available[cursor % available.length];
      cursor = (cursor + 1) % Number.MAX_SAFE_INTEGER;
      return replica;
    },
  };
}

/**
 * Smooth weighted round robin, nginx's algorithm (ngx_http_upstream_get_peer): every pick adds
 * each available replica's weight to its running score, takes the highest score and lowers it
 * by the total weight. Weights 5:1:1 give a a b a c a a rather than a a a a a b c, so a heavy
 * replica never receives a burst.
 */
export function weightedRoundRobin<R extends BalancedReplica>(): Balancer<R> {
  const scores = new Map<string, number>();
  return {
    pick(available) {
      let best: R | undefined;
      let bestScore = -Infinity;
      let total = 0;
      for (const replica of available) {
        const score = (scores.get(replica.id) ?? 0) + replica.weight;
        scores.set(replica.id, score);
        total += replica.weight;
        if (score > bestScore) {
          best = replica;
          bestScore = score;
        }
      }
      if (best) scores.set(best.id, bestScore - total);
      return best;
    },
  };
}

/**
 * The replica with the fewest requests in flight per unit of weight. Ties rotate, so idle
 * replicas share a trickle of sequential traffic instead of the first one taking it all.
 */
export function leastConnections<R extends BalancedReplica>(): Balancer<R> {
  let cursor = 0;
  return {
    pick(available) {
      const count = available.length;
      if (count === 0) return undefined;
      const start = cursor % count;
      cursor = (cursor + 1) % Number.MAX_SAFE_INTEGER;
      let best = available[start]!;
      for (let offset = 1; offset < count; offset++) {
        const replica = available[(start + offset) % count]!;
        // a/wa < b/wb without dividing.
        if (replica.inFlight * best.weight < best.inFlight * replica.weight) best = replica;
      }
      return best;
    },
  };
}

/**
 * Consistent hashing of the client key on a ring of all configured replicas: a client keeps its
 * replica while that replica is available, and when one leaves only its own clients move (to
 * the next replica clockwise). Without a client key every call hashes alike.
 */
export function ipHash<R extends BalancedReplica>(replicas: readonly R[]): Balancer<R> {
  const ring = new HashRing(replicas);
  return {
    pick(available, clientKey = '') {
      if (available.length === 0) return undefined;
      const ids = new Set(available.map((replica) => replica.id));
      const id = ring.lookup(clientKey, (candidate) => ids.has(candidate));
      return available.find((replica) => replica.id === id);
    },
  };
}

/** The balancer for `strategy` over `replicas` (all of them, available or not). */
export function createBalancer<R extends BalancedReplica>(strategy: BalancerStrategy, replicas: readonly R[]): Balancer<R> {
  switch (strategy) {
    case 'round-robin':
      return roundRobin();
    case 'weighted-round-robin':
      return weightedRoundRobin();
    case 'least-connections':
      return leastConnections();
    case 'ip-hash':
      return ipHash(replicas);
  }
}
