import { GENERATOR_SATURATED_CORES } from '../measure.js';
import type { SubscriptionsResult } from '../scenarios/subscriptions.js';
import type { BenchReport, HeadlineRatio } from './report.js';
import { formatNumber } from './svg.js';

/** The figures the report leads with, each against its target (the issues' numbers) where it has one. */
type Op = '>=' | '<=' | '<' | '==';
const symbols: Record<Op, string> = { '>=': '≥', '<=': '≤', '<': '<', '==': '=' };
const target = (value: number | null, op: Op, bound: number) =>
  value === null ? null : op === '>=' ? value >= bound : op === '<=' ? value <= bound : op === '<' ? value < bound : value === bound;

/** The headline ratios from the scenarios' results; a missing one carries its reason. */
export function headlineRatios(scenarios: BenchReport['scenarios'], missing: string[]): HeadlineRatio[] {
  const byId = scenarios.catalog?.workloads.find((w) => w.key === 'product-by-id')?.ratios;
  const page = scenarios.catalog?.workloads.find((w) => w.key === 'catalog-page')?.ratios;
  const catalogReason = 'the catalog scenario did not run';
  const ratio = (key: string, title: string, value: number | null | undefined, op: Op | null, bound: number | null, reason: string, shown?: string, caveat?: string): HeadlineRatio => ({
    key,
    title,
    value: value ?? null,
    target: op === null || bound === null ? null : (shown ?? `${symbols[op]} ${bound}`),
    met: op === null || bound === null ? null : target(value ?? null, op, bound),
    ...(value === null || value === undefined ? { reason } : {}),
    ...(caveat ? { caveat } : {}),
  });
  const deep = scenarios.deep;
  const checkout = scenarios.checkout;
  const checkoutReason = checkout?.missing[0] ?? 'the checkout scenario did not run';
  const deepReason = deep?.missing[0] ?? 'the deep scenario did not run';
  const pageWorkload = scenarios.catalog?.workloads.find((w) => w.key === 'catalog-page');
  const pageMiss = pageWorkload?.systems.find((s) => s.key === 'ours-cache-off');
  const generator = pageWorkload?.generator;
  const generatorCaveat = generator?.paceSetByGenerator
    ? `the load generator, not bare node:http, set the pace (generator at ${generator.generatorCoresOnBare} cores, ${generator.generatorVsServerCpu ?? '?'}× bare node:http's CPU per request), so this ratio is compressed toward 1: read the CPU-per-request ratio below`
    : undefined;
  // Against plain @apollo/gateway the hit's side is the one the generator holds back.
  const plainCaveat = generator?.paceSetByGenerator
    ? `the load generator set the hit's pace (it took ${generator.generatorCoresOnBare} cores against bare node:http, ${generator.generatorVsServerCpu ?? '?'}× a server's CPU per request, and shares the machine's two cores with the gateway), so this ratio is compressed toward 1: read the CPU-per-request ratio below`
    : undefined;
  // The catalog page is one request, so (past the first) every answer is a cache hit: the hit
  // path alone. The product spread mixes hits, stale answers and misses, as real traffic does.
  return [
    ratio('cacheL1VsPlain', 'in-process cache hit, production rate limits (2,000 clients) vs plain @apollo/gateway (throughput, products(first: 20))', page?.l1HitVsPlain, '>=', 30, catalogReason, '≥ 30×', plainCaveat),
    ratio('cacheL1VsPlainCpu', 'in-process cache hit, production rate limits vs plain @apollo/gateway by CPU per request (plain ms / hit ms over every process, products(first: 20))', page?.l1HitVsPlainCpu, '>=', 30, catalogReason, '≥ 30×'),
    ratio('cacheL1VsBare', 'in-process cache hit, production rate limits (2,000 clients) vs bare node:http (throughput, products(first: 20))', page?.l1HitVsBare, '>=', 0.6, catalogReason, undefined, generatorCaveat),
    ratio('unlimitedL1VsPlain', 'in-process cache hit, rate limits off (auth scope, metrics, logging) vs plain @apollo/gateway', page?.unlimitedHitVsPlain, '>=', 30, catalogReason, '≥ 30×', plainCaveat),
    ratio('unlimitedL1VsPlainCpu', 'in-process cache hit, rate limits off vs plain @apollo/gateway by CPU per request (plain ms / hit ms over every process)', page?.unlimitedHitVsPlainCpu, '>=', 30, catalogReason, '≥ 30×'),
    ratio('unlimitedL1VsBare', 'in-process cache hit, rate limits off (auth scope, metrics, logging) vs bare node:http', page?.unlimitedHitVsBare, '>=', 0.6, catalogReason, undefined, generatorCaveat),
    ratio('unlimitedL1VsBareCpu', 'in-process cache hit, rate limits off vs bare node:http by CPU per request (bare ms / hit ms over every process: what each reaches on a core of its own, whatever the load generator drives)', page?.unlimitedHitVsBareCpu, '>=', 0.6, catalogReason),
    ratio('generatorCoresOnBare', `load generator's own CPU in its busiest bare node:http round, products(first: 20) (cores: at ≥ ${GENERATOR_SATURATED_CORES} it is saturated)`, generator?.generatorCoresOnBare, '<', GENERATOR_SATURATED_CORES, catalogReason),
    ratio('generatorVsBareCpu', 'load generator CPU per request / bare node:http\'s, products(first: 20) (above 1, one core of the generator drives fewer requests than one core of the server: it sets the pace)', generator?.generatorVsServerCpu, '<=', 1, catalogReason),
    ratio('cacheL2VsBare', 'Redis cache hit (in-process level off) vs bare node:http (throughput, products(first: 20))', page?.l2HitVsBare, '>=', 0.25, catalogReason),
    ratio('cacheOnVsPlainSpread', 'cache on vs plain @apollo/gateway (throughput, product(id) over the Zipf spread)', byId?.l1HitVsPlain, null, null, catalogReason),
    ratio('pluginOverheadOnMiss', 'all plugins on a miss: 1 − ours / plain @apollo/gateway (product(id))', byId?.pluginOverheadOnMiss, '<', 0.1, catalogReason),
    ratio('pluginOverheadOnMissPage', 'all plugins on a miss: 1 − ours / plain @apollo/gateway (products(first: 20))', page?.pluginOverheadOnMiss, '<', 0.1, catalogReason),
    ratio('catalogPageMissCpu', 'products(first: 20), cache off: CPU ms per request over every process, Postgres included', pageMiss?.cpuMsPerRequest, '<=', 2.5, catalogReason),
    ratio('deepCpuTotal', 'deep private read (orders(first: 20) → items → product, payment, user), cache off: CPU ms per request over every process, Postgres included', deep?.cpu?.totalMsPerRequest, '<=', 7, deepReason),
    ratio('deepCpuGateway', 'deep private read, cache off: the gateway\'s CPU ms per request', deep?.cpu?.gatewayMsPerRequest, '<=', 2.5, deepReason),
    ratio('deepGatewayVsPlain', 'deep private read, cache and dedupe off: our gateway\'s CPU per response / plain @apollo/gateway\'s', deep?.ratios.gatewayCpuVsPlain, '<=', 0.8, deepReason, '≤ 0.8×'),
    ratio('entityCacheCpu', 'deep private read, entity cache warm vs off: CPU ms per request over every process, Postgres included (warm / off)', scenarios.entityCache?.ratios.cpuOnVsOff, '<=', 0.5, 'the entity cache scenario did not run', '≤ 0.5×'),
    ratio('entityCacheProductsCalls', 'deep private read, entity cache warm: products-subgraph calls per request (off: one)', scenarios.entityCache?.productsCallsPerRequest.on, null, null, 'the entity cache scenario did not run'),
    ratio('entityCacheFetchedShare', 'deep private read, entity cache warm: entity representations fetched / requested', scenarios.entityCache?.representations.fetchedShare, null, null, 'the entity cache scenario did not run'),
    ratio('subgraphPipeline', 'subgraph request pipeline: orders subgraph CPU ms per signed trivial _entities fetch', scenarios.pipeline?.subgraphCpuMsPerRequest, '<=', 0.8, 'the subgraph pipeline scenario did not run'),
    ratio('dataloaderStatements', 'SQL statements per deep request: naive / DataLoader', deep?.ratios.statements, null, null, deepReason),
    ratio('dataloaderThroughput', 'deep request throughput: DataLoader / naive', deep?.ratios.throughput, null, null, deepReason),
    ratio('checkoutVsCeiling', 'checkout orders/s to PAID vs pgbench ceiling (tps / write transactions per order)', checkout?.ratioToCeiling, '>=', 0.5, checkout?.missing[0] ?? 'the checkout scenario did not run'),
    ratio('checkoutWriteTransactions', 'checkout: write transactions per order placed and paid', checkout?.writeTransactions.perOrder, '<=', 6, checkoutReason),
    ratio('checkoutRedisRoundTrips', 'checkout: Redis round trips per order placed and paid (queues, response cache, purges)', checkout?.redis.roundTrips, '<=', 8, checkoutReason),
    ratio('checkoutAwaitingP50', `checkout at ${checkout?.customers ?? '?'} customers: placeOrder → AWAITING_PAYMENT committed, p50 ms (server-side)`, checkout?.serverLatency.placedToAwaitingMs.p50, '<=', 40, checkoutReason),
    ratio('checkoutAwaitingP99', `checkout at ${checkout?.customers ?? '?'} customers: placeOrder → AWAITING_PAYMENT committed, p99 ms (server-side)`, checkout?.serverLatency.placedToAwaitingMs.p99, '<=', 250, checkoutReason),
    ratio('checkoutPaidP50', `checkout at ${checkout?.customers ?? '?'} customers: payOrder accepted → PAID committed, p50 ms (server-side, provider latency included)`, checkout?.serverLatency.paymentToPaidMs.p50, '<=', 80, checkoutReason),
    ratio('checkoutPaidP99', `checkout at ${checkout?.customers ?? '?'} customers: payOrder accepted → PAID committed, p99 ms (server-side, provider latency included)`, checkout?.serverLatency.paymentToPaidMs.p99, '<=', 250, checkoutReason),
    ratio('oversold', 'hot-product units oversold under concurrency', checkout?.oversold, '==', 0, 'the checkout scenario did not run'),
    ...subscriptionRatios(scenarios.subscriptions, ratio),
    ratio('balancingMaxShareError', 'replica balancing: largest gap between a replica\'s measured share and w/Σw (weights 3:2:1)', scenarios.balancing?.maxShareError, '<', 0.05, 'the balancing scenario did not run', '< 0.05'),
  ];
}

/**
 * Issue 17's figures: open subscriptions the gateway counts against those opened (5,000, `--quick` 500), heap
 * per open subscription, commit → push p50 and p99 under the scenario's checkout load.
 */
function subscriptionRatios(result: SubscriptionsResult | null | undefined, ratio: (key: string, title: string, value: number | null | undefined, op: Op | null, bound: number | null, reason: string) => HeadlineRatio) {
  const reason = result?.missing[0] ?? 'the subscriptions scenario did not run';
  const push = result && result.gatewayPushLatencyMs.samples > 0 ? result.gatewayPushLatencyMs : null;
  const pushReason = result ? 'no push with an event was measured' : reason;
  const under = `under a ${result?.checkout.customers ?? '?'}-customer checkout`;
  return [
    ratio('subscriptionsOpen', `subscriptions open at once on one gateway by its own gauge, each with its first push (opened in ${result?.openSeconds ?? '?'} s)`, result?.openOnGateway, '>=', result?.open ?? 5_000, reason),
    ratio('subscriptionsHeapBytes', 'heap bytes per open subscription (heap used after opening them − before, / open)', result?.memory.heapBytesPerSubscription, null, null, reason),
    ratio('subscriptionsPushP50', `commit → push handed to the client's connection, p50 ms ${under} (the gateway's histogram)`, push?.p50, null, null, pushReason),
    ratio('subscriptionsPushP99', `commit → push handed to the client's connection, p99 ms ${under} (the gateway's histogram)`, push?.p99, null, null, pushReason),
  ];
}

export function headlineText(ratios: HeadlineRatio[]): string[] {
  return ratios.map((r) => {
    const verdict = r.met === null ? '' : r.met ? ' ✓' : ' ✗';
    const value = r.value === null ? `not measured (${r.reason})` : formatNumber(r.value);
    return `${r.title}: ${value}${r.target ? ` (target ${r.target})${verdict}` : ''}${r.caveat ? ` ⚠ ${r.caveat}` : ''}`;
  });
}
