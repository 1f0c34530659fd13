import { answerOf } from '../load/answer.js';
import type { HttpRequestSpec } from '../load/protocol.js';
import { gatewaySystem, measureInterleaved, type SystemResult } from '../measure.js';
import { warmupOf } from '../options.js';
import type { Progress } from '../progress.js';
import type { Stage } from '../stage.js';
import { ratio } from '../stats.js';
import { DEEP_ORDERS, deepReadsOf } from './deep.js';

/** The gateways compared, as the report lists their processes. */
export const ENTITY_CACHE_GATEWAY = 'gateway (entity cache)';
export const ENTITY_CACHE_OFF_GATEWAY = 'gateway (entity cache off)';

/**
 * Fewer customers than scenario 2: each customer's products are mostly its own (the seed spreads
 * order items over the whole catalog), so a page is warm only if it comes round again within the
 * products' 30 s max-age — with 50 in turn it does even on a loaded machine, alternating rounds
 * with the cache-off gateway. The figure is the warm cache's, as the scenario says.
 */
const MAX_CUSTOMERS = 50;
/** Requests each gateway answers, one at a time, while its subgraph calls are counted. */
const COUNTED_REQUESTS = 20;

export interface EntityCacheResult {
  query: string;
  customers: number;
  systems: SystemResult[];
  /** Calls our gateway made to the products subgraph per deep read, counted around requests sent one at a time (cache warm). */
  productsCallsPerRequest: { on: number; off: number };
  /** Calls to every subgraph per deep read, the same way. */
  subgraphCallsPerRequest: { on: number; off: number };
  /** Entity representations the query plans asked the cache for, and those it sent to a subgraph, over the measured run (warm-up included). */
  representations: { requested: number; fetched: number; fetchedShare: number | null };
  /** CPU ms per request over every process, Postgres included, and the gateway's share: entity cache warm vs off. */
  cpu: { on: number; off: number; gatewayOn: number; gatewayOff: number };
  ratios: {
    /** CPU per request over every process, entity cache warm / off. Target ≤ 0.5. */
    cpuOnVsOff: number | null;
    /** Requests/s, entity cache warm / off. */
    throughput: number | null;
  };
}

/** A counter's total over the label sets whose labels include every one of `labels`. */
async function counter(metricsUrl: string, name: string, labels: string[] = []): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && labels.every((label) => line.includes(label)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Two more of our gateways over the platform's subgraphs: one with the entity cache, one without. */
export async function prepareEntityCache(stage: Stage, gatewaySettings: Record<string, string>) {
  const [on, off] = await Promise.all([
    stage.startGateway(ENTITY_CACHE_GATEWAY, stage.subgraphs, { ...gatewaySettings, ENTITY_CACHE: 'on' }),
    stage.startGateway(ENTITY_CACHE_OFF_GATEWAY, stage.subgraphs, { ...gatewaySettings, ENTITY_CACHE: 'off' }),
  ]);
  return { on, off };
}

const post = (url: string, request: HttpRequestSpec) => answerOf(url, request, 'the deep read');

/** Subgraph calls per request (the products subgraph's, and all of them) around requests sent one at a time. */
async function callsPerRequest(gateway: { url: string; metricsUrl: string }, requests: HttpRequestSpec[]) {
  const name = 'shopgraph_gateway_subgraph_requests_total';
  const before = { products: await counter(gateway.metricsUrl, name, ['subgraph="products"']), all: await counter(gateway.metricsUrl, name) };
  for (const request of requests) await post(gateway.url, request);
  return {
    products: ((await counter(gateway.metricsUrl, name, ['subgraph="products"'])) - before.products) / requests.length,
    all: ((await counter(gateway.metricsUrl, name)) - before.all) / requests.length,
  };
}

/**
 * Scenario 7: the deep private read (scenario 2's query, a bearer token per customer, response
 * cache off) through our gateway with its entity cache warm against the same gateway with it off,
 * over the same subgraphs in the same rounds. Once warm, everything is answered from the cache:
 * the products (PUBLIC, shared), and per viewer (PRIVATE) each customer's orders page (the
 * orders root fetch), user and payments.
 */
export async function runEntityCache(stage: Stage, progress: Progress, prepared: Awaited<ReturnType<typeof prepareEntityCache>>): Promise<EntityCacheResult> {
  const { options } = stage;
  const customers = Math.min(options.seed.users, MAX_CUSTOMERS);
  const requests = await deepReadsOf(stage, customers);
  const { on, off } = prepared;
  // Warm: every customer's page once through the cached gateway (products shared, the rest per viewer).
  for (let start = 0; start < requests.length; start += 8) await Promise.all(requests.slice(start, start + 8).map((request) => post(on.url, request)));
  const counted = requests.slice(0, COUNTED_REQUESTS);
  const callsOn = await callsPerRequest(on, counted);
  const callsOff = await callsPerRequest(off, counted);

  const representationsBefore = {
    requested: await counter(on.metricsUrl, 'shopgraph_gateway_entity_cache_representations_total', ['kind="requested"']),
    fetched: await counter(on.metricsUrl, 'shopgraph_gateway_entity_cache_representations_total', ['kind="fetched"']),
  };
  const systems = await measureInterleaved(stage.loadgen, {
    systems: [
      gatewaySystem('entity-cache-on', 'our gateway, entity cache warm', on, stage.subgraphs),
      gatewaySystem('entity-cache-off', 'our gateway, entity cache off', off, stage.subgraphs),
    ],
    requests,
    rounds: options.rounds,
    roundSeconds: options.roundSeconds,
    ...warmupOf(options),
    connections: options.connections,
    progress,
    title: 'entity cache',
    postgres: stage.postgres,
  });
  const requested = (await counter(on.metricsUrl, 'shopgraph_gateway_entity_cache_representations_total', ['kind="requested"'])) - representationsBefore.requested;
  const fetched = (await counter(on.metricsUrl, 'shopgraph_gateway_entity_cache_representations_total', ['kind="fetched"'])) - representationsBefore.fetched;
  await stage.stopExtra([on.process, off.process]);
  const withCache = systems.find((system) => system.key === 'entity-cache-on')!;
  const without = systems.find((system) => system.key === 'entity-cache-off')!;
  return {
    query: DEEP_ORDERS,
    customers,
    systems,
    productsCallsPerRequest: { on: callsOn.products, off: callsOff.products },
    subgraphCallsPerRequest: { on: callsOn.all, off: callsOff.all },
    representations: { requested, fetched, fetchedShare: ratio(fetched, requested, 3) },
    cpu: {
      on: withCache.cpuMsPerRequest,
      off: without.cpuMsPerRequest,
      gatewayOn: withCache.cpuMsPerRequestByProcess[ENTITY_CACHE_GATEWAY] ?? 0,
      gatewayOff: without.cpuMsPerRequestByProcess[ENTITY_CACHE_OFF_GATEWAY] ?? 0,
    },
    ratios: {
      cpuOnVsOff: ratio(withCache.cpuMsPerRequest, without.cpuMsPerRequest, 2),
      throughput: ratio(withCache.requestsPerSecond, without.requestsPerSecond, 2),
    },
  };
}
