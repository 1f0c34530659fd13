import { readCounter } from '@shopgraph/testing';
import { answerOf } from '../load/answer.js';
import type { HttpRequestSpec } from '../load/protocol.js';
import { gatewaySystem, measureInterleaved, type SystemResult, type SystemUnderTest } from '../measure.js';
import { warmupOf } from '../options.js';
import type { Progress } from '../progress.js';
import type { Stage } from '../stage.js';
import { ratio } from '../stats.js';

export const DEEP_ORDERS = `query MyOrders($first: Int!) { orders(first: $first) { totalCount edges { node { id status total { amount currency } user { id name } items { quantity unitPrice { amount } product { id name price { amount } } } payment { id status } } } } }`;

/** The process name of the gateway in front of the batching subgraphs, as the report lists it. */
export const DEEP_GATEWAY = 'gateway (DataLoader)';
/** Our gateway with nothing that plain @apollo/gateway lacks doing the work for it: no cache, no merging of identical subgraph calls. */
export const NO_DEDUPE_GATEWAY = 'gateway (cache and dedupe off)';
export const DEEP_PLAIN_GATEWAY = 'plain @apollo/gateway (deep)';

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
    /** Our gateway's CPU per response (cache and dedupe off) / plain @apollo/gateway's, same subgraphs, same rounds. Target ≤ 0.8. */
    gatewayCpuVsPlain: number | null;
  };
  /** The deep read with the cache off (DataLoader system): CPU ms per request over every process, Postgres included, and the gateway's share. */
  cpu: { totalMsPerRequest: number; gatewayMsPerRequest: number; byProcess: Record<string, number> } | null;
  missing: string[];
}

async function statementsOf(urls: string[]): Promise<number> {
  const counts = await Promise.all(urls.map((url) => readCounter(url, 'shopgraph_sql_statements_total')));
  return counts.reduce((a, b) => a + b, 0);
}

/** SQL statements one request costs: counted around a single request, alone on its subgraphs. */
async function countStatements(system: SystemUnderTest, request: HttpRequestSpec): Promise<{ statements: number; orders: number }> {
  const before = await statementsOf(system.sqlMetricsUrls!);
  // A request refused before any subgraph call (503, sent again) costs no statement.
  const result = JSON.parse(await answerOf(system.url, request, `the deep query through ${system.label}`)) as { data: { orders: { edges: unknown[] } } };
  return { statements: (await statementsOf(system.sqlMetricsUrls!)) - before, orders: result.data.orders.edges.length };
}

/**
 * Scenario 2, a deep private read across all four subgraphs: our subgraphs with their DataLoaders
 * against the same subgraphs with batching switched off (DATALOADER_BATCH=false: one statement
 * per entity, the N+1 a naive resolver makes), each behind its own instance of our gateway; and,
 * over the batching subgraphs, our gateway with cache and dedupe off against plain
 * @apollo/gateway, for what our gateway's CPU costs per response.
 */
/** Starts the gateways over the batching subgraphs, and a second set of subgraphs with batching off behind its own gateway. */
export async function prepareDeep(stage: Stage, gatewaySettings: Record<string, string>) {
  const batchedSubgraphs = stage.subgraphs;
  const [batchedGateway, noDedupeGateway, plainGateway, naiveSubgraphs] = await Promise.all([
    stage.startGateway(DEEP_GATEWAY, batchedSubgraphs, gatewaySettings),
    stage.startGateway(NO_DEDUPE_GATEWAY, batchedSubgraphs, { ...gatewaySettings, SUBGRAPH_DEDUPE: 'false' }),
    stage.startPlainGateway(DEEP_PLAIN_GATEWAY),
    stage.startSubgraphSet('naive', { DATALOADER_BATCH: 'false' }),
  ]);
  const naiveGateway = await stage.startGateway('gateway (naive)', naiveSubgraphs, gatewaySettings);
  return { batchedSubgraphs, batchedGateway, noDedupeGateway, plainGateway, naiveSubgraphs, naiveGateway };
}

/** The deep read of customers 1 … `customers`, each as that customer's first page of orders. */
export async function deepReadsOf(stage: Stage, customers: number): Promise<HttpRequestSpec[]> {
  const requests: HttpRequestSpec[] = [];
  for (let n = 1; n <= customers; n++) {
    requests.push({
      body: JSON.stringify({ query: DEEP_ORDERS, variables: { first: PAGE_SIZE } }),
      headers: { authorization: `Bearer ${await stage.tokenFor(n)}` },
    });
  }
  return requests;
}

export async function runDeep(stage: Stage, progress: Progress, prepared: Awaited<ReturnType<typeof prepareDeep>>): Promise<DeepResult> {
  const { options } = stage;
  const missing: string[] = [];
  const customers = Math.min(options.seed.users, MAX_CUSTOMERS);
  const requests = await deepReadsOf(stage, customers);
  const { batchedSubgraphs, batchedGateway, noDedupeGateway, plainGateway, naiveSubgraphs, naiveGateway } = prepared;
  const batched = gatewaySystem('dataloader', 'DataLoader (batched), cache off', batchedGateway, batchedSubgraphs);
  const naive = gatewaySystem('naive', 'no batching (N+1), cache off', naiveGateway, naiveSubgraphs);
  const noDedupe = gatewaySystem('ours-no-dedupe', 'our gateway, cache and dedupe off', noDedupeGateway, batchedSubgraphs);
  const plain = gatewaySystem('plain-apollo-gateway', 'plain @apollo/gateway', plainGateway, batchedSubgraphs);

  const first = requests[0]!;
  const batchedCount = await countStatements(batched, first);
  const naiveCount = await countStatements(naive, first);
  // Both peers must answer the customer's page before they are compared (a plain gateway that lost the viewer would fail here).
  for (const peer of [noDedupe, plain]) await countStatements(peer, first);
  // The same count both ways means the subgraphs ignored the switch: there is no naive baseline.
  const naiveHonoured = naiveCount.statements > batchedCount.statements;
  if (!naiveHonoured) {
    missing.push(
      `the no-batching baseline: with DATALOADER_BATCH=false the subgraphs still sent ${naiveCount.statements} statements per request (batched: ${batchedCount.statements}), so they do not honour the switch`,
    );
  }
  const systems = await measureInterleaved(stage.loadgen, {
    systems: naiveHonoured ? [batched, naive, noDedupe, plain] : [batched, noDedupe, plain],
    requests,
    rounds: options.rounds,
    roundSeconds: options.roundSeconds,
    ...warmupOf(options),
    connections: options.connections,
    progress,
    title: 'deep orders',
    postgres: stage.postgres,
  });
  await stage.stopExtra([batchedGateway.process, noDedupeGateway.process, plainGateway.process, naiveGateway.process, ...naiveSubgraphs.processes]);
  const find = (key: string) => systems.find((system) => system.key === key);
  const withLoader = find('dataloader')!;
  const without = find('naive');
  const gatewayCpu = (system: SystemResult | undefined, gateway: string) => system?.cpuMsPerRequestByProcess[gateway];
  const ours = gatewayCpu(find('ours-no-dedupe'), NO_DEDUPE_GATEWAY);
  const theirs = gatewayCpu(find('plain-apollo-gateway'), DEEP_PLAIN_GATEWAY);
  return {
    query: DEEP_ORDERS,
    pageSize: PAGE_SIZE,
    customers,
    ordersPerRequest: batchedCount.orders,
    systems,
    statementsPerRequest: { batched: batchedCount.statements, naive: naiveHonoured ? naiveCount.statements : null },
    ratios: {
      statements: naiveHonoured ? ratio(naiveCount.statements, batchedCount.statements, 2) : null,
      throughput: without ? ratio(withLoader.requestsPerSecond, without.requestsPerSecond, 2) : null,
      p99Latency: without ? ratio(without.latencyMs.p99, withLoader.latencyMs.p99, 2) : null,
      gatewayCpuVsPlain: ours === undefined || theirs === undefined ? null : ratio(ours, theirs, 2),
    },
    cpu:
      withLoader.requests > 0
        ? { totalMsPerRequest: withLoader.cpuMsPerRequest, gatewayMsPerRequest: withLoader.cpuMsPerRequestByProcess[DEEP_GATEWAY] ?? 0, byProcess: withLoader.cpuMsPerRequestByProcess }
        : null,
    missing,
  };
}
