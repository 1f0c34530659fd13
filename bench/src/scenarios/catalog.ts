import { answerOf } from '../load/answer.js';
import type { HttpRequestSpec } from '../load/protocol.js';
import { GENERATOR_SATURATED_CORES, gatewaySystem, LOADGEN, measureInterleaved, type SystemResult, type SystemUnderTest } from '../measure.js';
import { warmupOf } from '../options.js';
import { round } from '../proc.js';
import type { Progress } from '../progress.js';
import { benchId } from '../seed.js';
import type { Stage } from '../stage.js';
import { ratio, seededRandom, zipfRanks } from '../stats.js';

export const CATALOG_PAGE = `query CatalogPage { products(first: 20) { totalCount pageInfo { hasNextPage endCursor } edges { node { id sku name price { amount currency } stock } } } }`;
export const PRODUCT_BY_ID = `query Product($id: ID!) { product(id: $id) { id sku name description price { amount currency } stock } }`;

/** Distinct product(id) requests drawn per run: enough for a long tail, few enough to prefetch. */
const PRODUCT_DRAWS = 4096;
/**
 * Clients the load comes from, each its own address (X-Forwarded-For, which the gateway trusts
 * from loopback): many clients, each well under its limit, as a shop's traffic is, so every
 * limiter lease is a client's 1 % and the rate limits cost what they cost in production.
 */
const CLIENTS = 2000;
/** The gateway's production rate limits (its defaults, spelled out against the stage's out-of-reach ones). */
const PRODUCTION_LIMITS = { RATE_LIMIT_IP_POINTS: '600', RATE_LIMIT_USER_POINTS: '300' };
/** Zipf exponent of product popularity: about 1 in real catalogs (a few best sellers, a long tail). */
const ZIPF_S = 1;

export interface CatalogWorkload {
  key: string;
  title: string;
  query: string;
  /** Different request bodies sent (different product ids). */
  distinctRequests: number;
  systems: SystemResult[];
  ratios: CatalogRatios;
  /** Whether the load generator, rather than bare node:http, set bare node:http's pace in this workload. */
  generator: GeneratorVerdict | null;
}

/** The load generator measured alone against bare node:http before any other round: the run's calibration. */
export interface GeneratorCalibration {
  requestsPerSecond: number;
  /** The generator's own CPU, in cores. */
  generatorCores: number;
  /** bare node:http's CPU, in cores. */
  serverCores: number;
  generatorCpuMsPerRequest: number;
  /** 1000 / generatorCpuMsPerRequest: the most responses a whole core of the generator can drive. */
  generatorCeilingRequestsPerSecond: number | null;
}

export interface GeneratorVerdict {
  /** bare node:http's requests/s in this workload's interleaved rounds. */
  bareRequestsPerSecond: number;
  /** The same / the calibration's: how far the machine drifted between the two. */
  bareVsCalibration: number | null;
  /** The generator's CPU in the busiest bare node:http round, in cores. */
  generatorCoresOnBare: number;
  /** The generator's CPU per request / bare node:http's: above 1, the generator is the dearer half of every request. */
  generatorVsServerCpu: number | null;
  /**
   * The generator set the pace: it kept ≥ GENERATOR_SATURATED_CORES of a core busy, or it spent
   * more CPU per request than bare node:http (sharing the machine's cores, it then takes the
   * larger share of them). Every ratio to bare node:http is then compressed toward 1.
   */
  paceSetByGenerator: boolean;
}

/** Throughput ratios, the headline: each null when one of its systems could not be run. */
export interface CatalogRatios {
  /** In-process cache hit / bare node:http. Target ≥ 0.6. */
  l1HitVsBare: number | null;
  /** In-process cache hit / plain @apollo/gateway. Target ≥ 30. */
  l1HitVsPlain: number | null;
  /** The same two without rate limits: the hit path as the issue counts it (auth scope, metrics, logging). */
  unlimitedHitVsBare: number | null;
  unlimitedHitVsPlain: number | null;
  /** Redis cache hit / bare node:http. Target ≥ 0.25. */
  l2HitVsBare: number | null;
  /**
   * bare node:http's CPU per request / the in-process hit's (rate limits off), over every process:
   * the throughput ratio each would reach on a core of its own, whatever the load generator can drive.
   */
  unlimitedHitVsBareCpu: number | null;
  /**
   * plain @apollo/gateway's CPU per request / the in-process hit's, over every process (production
   * limits, then rate limits off): the throughput ratio on a machine where the load generator
   * does not share the cores, as the ≥ 30× targets mean it.
   */
  l1HitVsPlainCpu: number | null;
  unlimitedHitVsPlainCpu: number | null;
  /** 1 − our gateway with the cache off / plain @apollo/gateway: what all our plugins cost on a miss. Target < 0.10. */
  pluginOverheadOnMiss: number | null;
  plainVsBare: number | null;
}

export interface CatalogResult {
  workloads: CatalogWorkload[];
  calibration: GeneratorCalibration | null;
  /** What could not be measured, and why. */
  missing: string[];
}

/** Where our gateway says an answer came from: HIT-L1, HIT-L2, STALE or MISS. */
export const CACHE_STATUS_HEADER = 'x-cache';

/** Process names of our extra gateways, as the report lists them. */
export const MISS_GATEWAY = 'gateway (cache off)';
export const L1_GATEWAY = 'gateway (production limits)';
export const UNLIMITED_GATEWAY = 'gateway (rate limits off)';
export const L2_GATEWAY = 'gateway (Redis level only)';

const body = (query: string, variables?: Record<string, unknown>) => JSON.stringify(variables ? { query, variables } : { query });

/** The address of client `index`, from 10.0.0.0/8. */
const clientAddress = (index: number) => `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;

/** The catalog read requests, from `CLIENTS` clients: one page of the catalog, and single products by a Zipf spread of ids. */
export function catalogRequests(products: number) {
  const ranks = zipfRanks(products, PRODUCT_DRAWS, ZIPF_S, seededRandom(42));
  const from = (index: number) => ({ 'x-forwarded-for': clientAddress(index % CLIENTS) });
  const page = body(CATALOG_PAGE);
  return {
    page: Array.from({ length: CLIENTS }, (_, index): HttpRequestSpec => ({ body: page, headers: from(index) })),
    byId: ranks.map((rank, index): HttpRequestSpec => ({ body: body(PRODUCT_BY_ID, { id: benchId('product', rank) }), headers: from(index) })),
  };
}

/** The exact bytes `url` answers for each distinct body (sent as its first request, from its client), checked to be free of errors. */
async function responsesOf(url: string, requests: HttpRequestSpec[]): Promise<Record<string, string>> {
  const distinct = [...new Map(requests.map((request) => [request.body, request])).values()];
  const responses: Record<string, string> = {};
  // A few at a time: the gateway is warm afterwards, and no request queues behind a thousand others.
  for (let i = 0; i < distinct.length; i += 16) {
    await Promise.all(
      distinct.slice(i, i + 16).map(async ({ body: request, headers }) => {
        responses[request] = await answerOf(url, { body: request, headers }, 'a catalog request');
      }),
    );
  }
  return responses;
}

/**
 * Scenario 1, catalog reads that may be cached: our gateway (cache hit in process, cache hit in
 * Redis, cache off), a plain @apollo/gateway on the same subgraphs, and bare node:http
 * returning the same bytes — each workload interleaved across all of them.
 */
/** Starts the gateways the catalog scenario compares (they need nothing but the subgraphs' URLs). */
export async function prepareCatalog(stage: Stage, cacheOff: Record<string, string>) {
  const subgraphs = stage.subgraphs;
  // Identical concurrent subgraph calls would be merged by our gateway's in-flight dedup, which
  // plain @apollo/gateway lacks: off here, so the comparison shows what our plugins cost.
  const [missGateway, l1Gateway, unlimitedGateway, l2Gateway, plain] = await Promise.all([
    stage.startGateway(MISS_GATEWAY, subgraphs, { ...cacheOff, ...PRODUCTION_LIMITS, SUBGRAPH_DEDUPE: 'false' }),
    stage.startGateway(L1_GATEWAY, subgraphs, PRODUCTION_LIMITS),
    // What rate limiting adds to a hit: a Redis round trip per client per lease.
    stage.startGateway(UNLIMITED_GATEWAY, subgraphs, { RATE_LIMIT_ENABLED: 'false' }),
    // Nothing kept in process: every hit is a Redis round trip.
    stage.startGateway(L2_GATEWAY, subgraphs, { ...PRODUCTION_LIMITS, CACHE_L1: 'false' }),
    stage.startPlainGateway(),
  ]);
  return { missGateway, l1Gateway, unlimitedGateway, l2Gateway, plain };
}

export async function runCatalog(stage: Stage, progress: Progress, prepared: Awaited<ReturnType<typeof prepareCatalog>>): Promise<CatalogResult> {
  const { options } = stage;
  const requests = catalogRequests(options.seed.products);
  const subgraphs = stage.subgraphs;
  const missing: string[] = [];
  const { missGateway, l1Gateway, unlimitedGateway, l2Gateway, plain } = prepared;
  const miss = gatewaySystem('ours-cache-off', 'our gateway, cache off', missGateway, subgraphs);
  // Our gateway as `npm start` runs it (response cache on, both levels; rate limits on, at their
  // defaults): on the catalog page nearly every answer is an in-process hit; over the product
  // spread, the tail misses too.
  const l1Hit = gatewaySystem('ours-l1-hit', 'our gateway, cache on', l1Gateway, subgraphs);
  const unlimitedHit = gatewaySystem('ours-l1-hit-unlimited', 'our gateway, cache on, rate limits off', unlimitedGateway, subgraphs);
  const l2Hit = gatewaySystem('ours-l2-hit', 'our gateway, cache on, Redis level only', l2Gateway, subgraphs);

  const responses = {
    ...(await responsesOf(miss.url, requests.page)),
    ...(await responsesOf(miss.url, requests.byId)),
  };
  const bare = await stage.startBareServer(responses);
  const bareSystem: SystemUnderTest = { key: 'bare-node-http', label: 'bare node:http', url: bare.url, pids: new Map([[bare.process.name, bare.process.pid]]) };
  const calibration = await calibrateGenerator(stage, progress, bareSystem, requests.page);
  const systems: SystemUnderTest[] = [
    l1Hit,
    unlimitedHit,
    l2Hit,
    miss,
    gatewaySystem('plain-apollo-gateway', 'plain @apollo/gateway', plain, subgraphs),
    bareSystem,
  ];

  const workloads: CatalogWorkload[] = [];
  for (const [key, title, query, list] of [
    ['catalog-page', 'products(first: 20)', CATALOG_PAGE, requests.page],
    ['product-by-id', `product(id), Zipf(s=${ZIPF_S}) over ${options.seed.products} products`, PRODUCT_BY_ID, requests.byId],
  ] as const) {
    const results = await measureInterleaved(stage.loadgen, {
      systems,
      requests: list,
      rounds: options.rounds,
      roundSeconds: options.roundSeconds,
      ...warmupOf(options),
      connections: options.connections,
      countHeaders: [CACHE_STATUS_HEADER],
      progress,
      title: `catalog ${title}`,
      postgres: stage.postgres,
    });
    const rps = (k: string) => results.find((r) => r.key === k)?.requestsPerSecond;
    const rate = (a: string, b: string) => {
      const x = rps(a);
      const y = rps(b);
      return x === undefined || y === undefined ? null : ratio(x, y);
    };
    const missVsPlain = rate('ours-cache-off', 'plain-apollo-gateway');
    const cpuOf = (k: string) => results.find((r) => r.key === k)?.cpuMsPerRequest;
    const cpuRatio = (a: string, b: string) => {
      const x = cpuOf(a);
      const y = cpuOf(b);
      return x === undefined || y === undefined ? null : ratio(x, y);
    };
    workloads.push({
      key,
      title,
      query,
      distinctRequests: new Set(list.map((r) => r.body)).size,
      systems: results,
      ratios: {
        l1HitVsBare: rate('ours-l1-hit', 'bare-node-http'),
        l1HitVsPlain: rate('ours-l1-hit', 'plain-apollo-gateway'),
        unlimitedHitVsBare: rate('ours-l1-hit-unlimited', 'bare-node-http'),
        unlimitedHitVsPlain: rate('ours-l1-hit-unlimited', 'plain-apollo-gateway'),
        l2HitVsBare: rate('ours-l2-hit', 'bare-node-http'),
        unlimitedHitVsBareCpu: cpuRatio('bare-node-http', 'ours-l1-hit-unlimited'),
        l1HitVsPlainCpu: cpuRatio('plain-apollo-gateway', 'ours-l1-hit'),
        unlimitedHitVsPlainCpu: cpuRatio('plain-apollo-gateway', 'ours-l1-hit-unlimited'),
        pluginOverheadOnMiss: missVsPlain === null ? null : Math.round((1 - missVsPlain) * 1000) / 1000,
        plainVsBare: rate('plain-apollo-gateway', 'bare-node-http'),
      },
      generator: generatorVerdict(results.find((r) => r.key === bareSystem.key), calibration),
    });
  }
  await stage.stopExtra([missGateway.process, l1Gateway.process, unlimitedGateway.process, l2Gateway.process, plain.process, bare.process]);
  return { workloads, calibration, missing };
}

/**
 * One round of bare node:http alone, before the others: the requests/s this machine's load
 * generator reaches against the cheapest server there is, and what that costs the generator.
 */
async function calibrateGenerator(stage: Stage, progress: Progress, bare: SystemUnderTest, requests: HttpRequestSpec[]): Promise<GeneratorCalibration | null> {
  const { options } = stage;
  const [result] = await measureInterleaved(stage.loadgen, {
    systems: [bare],
    requests,
    rounds: 1,
    roundSeconds: options.roundSeconds * 2,
    // The generator's own code must be warm too, or the calibration measures its JIT.
    warmupSeconds: Math.max(options.warmupSeconds, options.roundSeconds * 2),
    connections: options.connections,
    progress,
    title: 'calibration: the load generator against bare node:http alone',
  });
  if (!result || result.requests === 0) return null;
  const generatorMs = result.cpuMsPerRequestByProcess[LOADGEN] ?? 0;
  return {
    requestsPerSecond: result.requestsPerSecond,
    generatorCores: result.processes[LOADGEN]?.cores ?? 0,
    serverCores: Object.entries(result.processes).find(([name]) => name !== LOADGEN)?.[1].cores ?? 0,
    generatorCpuMsPerRequest: generatorMs,
    generatorCeilingRequestsPerSecond: generatorMs > 0 ? round(1000 / generatorMs, 0) : null,
  };
}

/** Whether bare node:http's rate in a workload's rounds was the load generator's limit rather than the server's. */
export function generatorVerdict(bare: SystemResult | undefined, calibration: GeneratorCalibration | null): GeneratorVerdict | null {
  if (!bare || bare.requests === 0) return null;
  const generatorCoresOnBare = Math.max(0, ...bare.generatorCoresPerRound);
  const generatorVsServerCpu = ratio(bare.cpuMsPerRequestByProcess[LOADGEN] ?? 0, bare.cpuMsPerRequest, 2);
  return {
    bareRequestsPerSecond: bare.requestsPerSecond,
    bareVsCalibration: calibration ? ratio(bare.requestsPerSecond, calibration.requestsPerSecond, 2) : null,
    generatorCoresOnBare,
    generatorVsServerCpu,
    paceSetByGenerator: generatorCoresOnBare >= GENERATOR_SATURATED_CORES || (generatorVsServerCpu ?? 0) > 1,
  };
}
