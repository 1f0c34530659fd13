import { readCounter } from '@shopgraph/testing';
import type { HttpRequestSpec } from '../load/protocol.js';
import { gatewaySystem, measureInterleaved, type SystemResult, type SystemUnderTest } from '../measure.js';
import type { Progress } from '../progress.js';
import type { Stage } from '../stage.js';
import { ratio } from '../stats.js';

export const DEEP_ORDERS = `query MyOrders($first: Int!) { orders(first: $first) { totalCount edges { node { id status total { amount currency } user { id name } items { quantity unitPrice { amount } product { id name price { amount } } } payment { id status } } } } }`;

/** The process name of the gateway in front of the batching subgraphs, as the report lists it. */
export const DEEP_GATEWAY = 'gateway (DataLoader)';

/** A customer's first page of orders, as the shop's "my orders" page asks for it. */
const PAGE_SIZE = 20;
/** Customers whose pages are asked for in turn (each request is one of them). */
const MAX_CUSTOMERS = 200;

export interface DeepResult {
  query: string;
  pageSize: number;
  customers: number;
  /** Orders (with their items, products, user and payment) on each page, on average. */
  ordersPerRequest: number;
  systems: SystemResult[];
  /** SQL statements one request costs, counted on the subgraphs' /metrics with nothing else running. */
  statementsPerRequest: { batched: number; naive: number | null };
  ratios: {
    /** Statements without batching / with DataLoader. */
    statements: number | null;
    /** Requests/s with DataLoader / without batching. */
    throughput: number | null;
    /** p99 latency without batching / with DataLoader. */
    p99Latency: number | null;
  };
  missing: string[];
}

async function statementsOf(urls: string[]): Promise<number> {
  const counts = await Promise.all(urls.map((url) => readCounter(url, 'shopgraph_sql_statements_total')));
  return counts.reduce((a, b) => a + b, 0);
}

/** SQL statements one request costs: counted around a single request, alone on its subgraphs. */
async function countStatements(system: SystemUnderTest, request: HttpRequestSpec): Promise<{ statements: number; orders: number }> {
  const before = await statementsOf(system.sqlMetricsUrls!);
  const response = await fetch(system.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    body: request.body,
  });
  const result = (await response.json()) as { data?: { orders: { edges: unknown[] } }; errors?: unknown };
  if (!response.ok || result.errors || !result.data) throw new Error(`deep query failed on ${system.label}: ${JSON.stringify(result).slice(0, 300)}`);
  return { statements: (await statementsOf(system.sqlMetricsUrls!)) - before, orders: result.data.orders.edges.length };
}

/**
 * Scenario 2, a deep private read across all four subgraphs: our subgraphs with their DataLoaders
 * against the same subgraphs with batching switched off (DATALOADER_BATCH=false: one statement
 * per entity, the N+1 a naive resolver makes), each behind its own instance of our gateway.
 */
/** Starts a gateway over the batching subgraphs, and a second set of subgraphs with batching off behind its own gateway. */
export async function prepareDeep(stage: Stage, gatewaySettings: Record<string, string>) {
  const batchedSubgraphs = stage.subgraphs;
  const [batchedGateway, naiveSubgraphs] = await Promise.all([
    stage.startGateway(DEEP_GATEWAY, batchedSubgraphs, gatewaySettings),
    stage.startSubgraphSet('naive', { DATALOADER_BATCH: 'false' }),
  ]);
  const naiveGateway = await stage.startGateway('gateway (naive)', naiveSubgraphs, gatewaySettings);
  return { batchedSubgraphs, batchedGateway, naiveSubgraphs, naiveGateway };
}

export async function runDeep(stage: Stage, progress: Progress, prepared: Awaited<ReturnType<typeof prepareDeep>>): Promise<DeepResult> {
  const { options } = stage;
  const missing: string[] = [];
  const customers = Math.min(options.seed.users, MAX_CUSTOMERS);
  const requests: HttpRequestSpec[] = [];
  for (let n = 1; n <= customers; n++) {
    requests.push({
      body: JSON.stringify({ query: DEEP_ORDERS, variables: { first: PAGE_SIZE } }),
      headers: { authorization: `Bearer ${await stage.tokenFor(n)}` },
    });
  }
  const { batchedSubgraphs, batchedGateway, naiveSubgraphs, naiveGateway } = prepared;
  const batched = gatewaySystem('dataloader', 'DataLoader (batched)', batchedGateway, batchedSubgraphs);
  const naive = gatewaySystem('naive', 'no batching (N+1)', naiveGateway, naiveSubgraphs);

  const first = requests[0]!;
  const batchedCount = await countStatements(batched, first);
  const naiveCount = await countStatements(naive, first);
  // The same count both ways means the subgraphs ignored the switch: there is no naive baseline.
  const naiveHonoured = naiveCount.statements > batchedCount.statements;
  if (!naiveHonoured) {
    missing.push(
      `the no-batching baseline: with DATALOADER_BATCH=false the subgraphs still sent ${naiveCount.statements} statements per request (batched: ${batchedCount.statements}), so they do not honour the switch`,
    );
  }
  const systems = await measureInterleaved(stage.loadgen, {
    systems: naiveHonoured ? [batched, naive] : [batched],
    requests,
    rounds: options.rounds,
    roundSeconds: options.roundSeconds,
    warmupSeconds: options.warmupSeconds,
    connections: options.connections,
    progress,
    title: 'deep orders',
  });
  await stage.stopExtra([batchedGateway.process, naiveGateway.process, ...naiveSubgraphs.processes]);
  const [withLoader, without] = systems;
  return {
    query: DEEP_ORDERS,
    pageSize: PAGE_SIZE,
    customers,
    ordersPerRequest: batchedCount.orders,
    systems,
    statementsPerRequest: { batched: batchedCount.statements, naive: naiveHonoured ? naiveCount.statements : null },
    ratios: {
      statements: naiveHonoured ? ratio(naiveCount.statements, batchedCount.statements, 2) : null,
      throughput: without ? ratio(withLoader!.requestsPerSecond, without.requestsPerSecond, 2) : null,
      p99Latency: without ? ratio(without.latencyMs.p99, withLoader!.latencyMs.p99, 2) : null,
    },
    missing,
  };
}
