import { measureInterleaved, type SystemResult } from '../measure.js';
import { readMetric } from '../metrics.js';
import type { Progress } from '../progress.js';
import type { Stage } from '../stage.js';
import { round } from '../proc.js';
import { catalogRequests } from './catalog.js';

/** The replicas' weights: unequal, so a balancer that ignores them shows at once. */
const WEIGHTS = [3, 2, 1];
const STRATEGY = 'weighted-round-robin';
const REQUESTS_METRIC = 'shopgraph_gateway_subgraph_requests_total';

export interface ReplicaShare {
  replica: string;
  weight: number;
  /** Calls the gateway sent to this replica during the run (its /metrics). */
  calls: number;
  share: number;
  /** w_j / Σw. */
  modelShare: number;
  callsPerSecond: number;
  /** throughput × w_j / Σw. */
  modelCallsPerSecond: number;
  /** share − modelShare. */
  shareError: number;
  cpuSeconds: number;
}

export interface BalancingResult {
  subgraph: 'products';
  strategy: string;
  /** Subgraph calls per second over all replicas: the model's `throughput`. */
  throughput: number;
  replicas: ReplicaShare[];
  /** The largest |share − modelShare|. */
  maxShareError: number;
  gateway: SystemResult;
}

/**
 * Scenario 4, replica balancing: three replicas of the products subgraph with weights 3:2:1
 * behind our gateway (smooth weighted round robin); each replica's measured share of the calls
 * against the model load_j = throughput × w_j / Σw.
 */
/** Starts the three weighted replicas and a gateway balancing over them. */
export async function prepareBalancing(stage: Stage, gatewaySettings: Record<string, string>) {
  const replicas = await Promise.all(
    WEIGHTS.map(async (weight, i) => ({ weight, ...(await stage.startSubgraph('products', `products replica ${i + 1}`)) })),
  );
  const gateway = await stage.startGateway('gateway (replicas)', stage.subgraphs, {
    ...gatewaySettings,
    SUBGRAPH_REPLICAS_PRODUCTS: replicas.map((r) => `${r.url}|${r.weight}`).join(','),
    SUBGRAPH_BALANCER_PRODUCTS: STRATEGY,
  });
  return { replicas, gateway };
}

export async function runBalancing(stage: Stage, progress: Progress, prepared: Awaited<ReturnType<typeof prepareBalancing>>): Promise<BalancingResult> {
  const { options } = stage;
  const { replicas, gateway } = prepared;
  const callsByReplica = async () => {
    const calls = new Map<string, number>();
    for (const sample of await readMetric(gateway.metricsUrl, REQUESTS_METRIC)) {
      if (sample.labels.subgraph !== 'products') continue;
      calls.set(sample.labels.replica!, (calls.get(sample.labels.replica!) ?? 0) + sample.value);
    }
    return calls;
  };

  const before = await callsByReplica();
  const [result] = await measureInterleaved(stage.loadgen, {
    systems: [
      {
        key: 'gateway-over-replicas',
        label: `our gateway over ${replicas.length} products replicas`,
        url: gateway.url,
        pids: new Map([[gateway.process.name, gateway.process.pid], ...replicas.map((r) => [r.process.name, r.process.pid] as [string, number])]),
      },
    ],
    // Different products, so no two concurrent subgraph calls are deduplicated into one.
    requests: catalogRequests(options.seed.products).byId,
    rounds: 1,
    roundSeconds: 0,
    roundRequests: options.balancingRequests,
    warmupSeconds: 0,
    connections: options.connections,
    progress,
    title: 'replica balancing',
  });
  const after = await callsByReplica();
  await stage.stopExtra([gateway.process, ...replicas.map((r) => r.process)]);

  const gatewayResult = result!;
  const seconds = gatewayResult.seconds;
  const calls = replicas.map((r) => (after.get(r.url) ?? 0) - (before.get(r.url) ?? 0));
  const totalCalls = calls.reduce((a, b) => a + b, 0);
  const totalWeight = WEIGHTS.reduce((a, b) => a + b, 0);
  if (totalCalls === 0) throw new Error(`no call reached a products replica (${gatewayResult.errors.first ?? 'no error seen'})`);
  const throughput = totalCalls / seconds;
  const shares = replicas.map((r, i): ReplicaShare => {
    const share = totalCalls > 0 ? calls[i]! / totalCalls : 0;
    const modelShare = r.weight / totalWeight;
    return {
      replica: r.url,
      weight: r.weight,
      calls: calls[i]!,
      share: round(share, 4),
      modelShare: round(modelShare, 4),
      callsPerSecond: round(calls[i]! / seconds, 1),
      modelCallsPerSecond: round(throughput * modelShare, 1),
      shareError: round(share - modelShare, 4),
      cpuSeconds: gatewayResult.processes[r.process.name]?.cpuSeconds ?? 0,
    };
  });
  return {
    subgraph: 'products',
    strategy: STRATEGY,
    throughput: round(throughput, 1),
    replicas: shares,
    maxShareError: round(Math.max(...shares.map((s) => Math.abs(s.shareError))), 4),
    gateway: gatewayResult,
  };
}
