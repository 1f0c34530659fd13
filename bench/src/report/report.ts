import { mkdirSync, writeFileSync } from 'node:fs';
import { subgraphNames } from '@shopgraph/common';
import { GENERATOR_SATURATED_CORES, LOADGEN, WARMUP_TURN_SECONDS, type SystemResult } from '../measure.js';
import type { BenchOptions, SeedSize } from '../options.js';
import type { BalancingResult } from '../scenarios/balancing.js';
import type { CapacityResult } from '../scenarios/capacity.js';
import { CACHE_STATUS_HEADER, type CatalogResult } from '../scenarios/catalog.js';
import type { CheckoutResult } from '../scenarios/checkout.js';
import { DEEP_GATEWAY, NO_DEDUPE_GATEWAY, type DeepResult } from '../scenarios/deep.js';
import type { EntityCacheResult } from '../scenarios/entity-cache.js';
import type { SubgraphPipelineResult } from '../scenarios/subgraph-pipeline.js';
import type { SubscriptionsResult } from '../scenarios/subscriptions.js';
import { profileMarkdown, type ProfileSummary } from '../profile/summary.js';
import { checkoutCosts } from './checkout.js';
import { subscriptionsSection } from './subscriptions.js';
import { barChart, cell, formatNumber, groupedBarChart } from './svg.js';

export const REPORT_VERSION = 2;

export interface Hardware {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  postgres: string;
}

/** One headline ratio: the number, what it should be, and whether it is. */
export interface HeadlineRatio {
  key: string;
  title: string;
  value: number | null;
  /** e.g. "≥ 30", "< 0.10", or null when there is no target. */
  target: string | null;
  /** null when there is no value or no target. */
  met: boolean | null;
  /** Why the value is missing, when it is. */
  reason?: string;
  /** Why the value may not mean what it says (e.g. the load generator set the pace). */
  caveat?: string;
}

export interface BenchReport {
  version: typeof REPORT_VERSION;
  name: string;
  date: string;
  quick: boolean;
  durationSeconds: number;
  commit: string | null;
  hardware: Hardware;
  seed: SeedSize;
  settings: Omit<BenchOptions, 'seed' | 'name' | 'resultsDir' | 'quick'>;
  /** How Postgres' CPU was counted (the bench database's backends, or the whole machine's). */
  postgresCpu: string;
  ratios: HeadlineRatio[];
  /** The ratios in words, for the terminal and the top of the Markdown. */
  headline: string[];
  scenarios: {
    catalog: CatalogResult | null;
    deep: DeepResult | null;
    checkout: CheckoutResult | null;
    balancing: BalancingResult | null;
    pipeline: SubgraphPipelineResult | null;
    /** Absent from reports written before the entity cache. */
    entityCache?: EntityCacheResult | null;
    /** Absent from reports written before subscriptions joined `npm run bench`. */
    subscriptions?: SubscriptionsResult | null;
    capacity: CapacityResult;
  };
  /** Top functions by self time of each process, when the run was profiled (BENCH_CPU_PROF). */
  profiles: ProfileSummary[] | null;
  /** Every scenario or variant that could not be measured, with the reason. */
  missing: string[];
}

export interface ReportFiles {
  json: string;
  markdown: string;
  charts: string[];
}

// ---------------------------------------------------------------- Markdown

function systemsTable(systems: SystemResult[], extra?: { title: string; value: (s: SystemResult) => string }): string {
  const processNames = [...new Set(systems.flatMap((s) => Object.keys(s.processes)))];
  const lines = [
    `| system | req/s | p50 ms | p90 ms | p99 ms | errors (HTTP / GraphQL / transport) | CPU ms/req | ${extra ? `${extra.title} | ` : ''}`,
    `|---|---:|---:|---:|---:|---:|---:|${extra ? '---:|' : ''}`,
    ...systems.map(
      (s) =>
        `| ${s.label} | ${cell(s.requestsPerSecond)} | ${cell(s.latencyMs.p50)} | ${cell(s.latencyMs.p90)} | ${cell(s.latencyMs.p99)} | ${s.errors.http} / ${s.errors.graphql} / ${s.errors.transport} | ${cell(s.cpuMsPerRequest)} | ${extra ? `${extra.value(s)} | ` : ''}`,
    ),
  ];
  // The load generator is not part of any system: its column shows what driving it cost, and
  // its cores per round whether it, rather than the system, set the pace.
  const served = processNames.filter((p) => p !== LOADGEN);
  const perProcess = [
    '',
    `CPU ms per request, per process (the load generator apart: it is not counted in CPU ms/req; ⚠ marks a round in which it kept ≥ ${GENERATOR_SATURATED_CORES} of a core busy):`,
    '',
    `| system | ${served.join(' | ')} | ${LOADGEN} | ${LOADGEN}, cores per round |`,
    `|---|${served.map(() => '---:').join('|')}|---:|---|`,
    ...systems.map(
      (s) =>
        `| ${s.label} | ${served.map((p) => cell(s.cpuMsPerRequestByProcess[p])).join(' | ')} | ${cell(s.cpuMsPerRequestByProcess[LOADGEN])} | ${s.generatorCoresPerRound.map((c) => `${c}${c >= GENERATOR_SATURATED_CORES ? ' ⚠' : ''}`).join(', ')} |`,
    ),
  ];
  const rss = (u: SystemResult['processes'][string]) => (u.peakRssMiB === null ? '—' : Math.round(u.peakRssMiB));
  const usage = [
    '',
    `<details><summary>CPU (cores busy) and peak RSS (MiB) per process, and requests/s per round</summary>\n`,
    `| system | ${processNames.join(' | ')} | req/s per round |`,
    `|---|${processNames.map(() => '---:').join('|')}|---|`,
    ...systems.map(
      (s) =>
        `| ${s.label} | ${processNames.map((p) => (s.processes[p] ? `${s.processes[p]!.cores} / ${rss(s.processes[p]!)}` : '')).join(' | ')} | ${s.roundRequestsPerSecond.map((x) => formatNumber(x)).join(', ')} |`,
    ),
    '\n</details>',
  ];
  return [...lines, ...perProcess, ...usage].join('\n');
}

/** Share of responses served from the cache: fresh hits of either level, and stale ones (revalidated behind them). */
function hitRatio(system: SystemResult): string {
  const status = Object.values(system.headerCounts)[0];
  if (!status) return '—';
  const total = Object.values(status).reduce((a, b) => a + b, 0);
  const hits = Object.entries(status)
    .filter(([value]) => /^(HIT|STALE)/.test(value))
    .reduce((n, [, count]) => n + count, 0);
  return total > 0 ? `${Math.round((hits / total) * 1000) / 10} %` : '—';
}

export function renderMarkdown(report: BenchReport, chartFiles: Record<string, string>): string {
  const h = report.hardware;
  const out: string[] = [];
  out.push(`# Shopgraph benchmark — ${report.date} (${report.name})`, '');
  out.push(
    `**Machine:** ${h.cpuModel}, ${h.cores} cores, ${h.memoryGiB} GiB RAM · Node ${h.node} · ${h.postgres} · ${h.os}${report.commit ? ` · commit \`${report.commit}\`` : ''}`,
    '',
    `Every process of the benchmark (systems under test, Postgres, Redis, the load generator) shares these ${h.cores} cores, so absolute numbers are this machine's; the ratios compare systems measured in the same run, taking turns in short rounds so noise falls on all of them alike. ${report.quick ? '**This is a `--quick` run: small data, sub-second rounds — a smoke test, not a measurement.**' : ''}`,
    '',
    `**Data:** ${report.seed.products.toLocaleString('en-US')} products, ${report.seed.users.toLocaleString('en-US')} users, ${report.seed.orders.toLocaleString('en-US')} orders (1–4 items each, a payment per paid order), ${report.seed.hotProducts} hot products of ${report.seed.hotStock} units. **Load:** autocannon in its own process, ${report.settings.connections} connections, ${report.settings.rounds} rounds × ${report.settings.roundSeconds} s per system after a warm-up of ${report.settings.warmupSeconds} s and then up to ${report.settings.warmupRequests.toLocaleString('en-US')} requests or ${report.settings.warmupMaxSeconds} s in all, the systems taking turns of at most ${WARMUP_TURN_SECONDS} s (V8 optimises a function after thousands of calls: a slow system measured after a second of warm-up runs unoptimised code). Run took ${Math.round(report.durationSeconds)} s.`,
    '',
    '## Headline',
    '',
    '| ratio | value | target | |',
    '|---|---:|---|---|',
    ...report.ratios.map(
      (r) => `| ${r.title} | ${r.value === null ? `not measured: ${r.reason}` : formatNumber(r.value)}${r.caveat ? ` ⚠ ${r.caveat}` : ''} | ${r.target ?? ''} | ${r.met === null ? '' : r.met ? '✓' : '✗'} |`,
    ),
    '',
    `CPU is read from \`/proc/<pid>/stat\` over the measured rounds only. **Postgres:** ${report.postgresCpu}.${report.settings.cpuProfileDir ? ' **This run was profiled (BENCH_CPU_PROF): sampling costs each Node process a little CPU, so its figures run slightly high.**' : ''}`,
    '',
  );
  if (report.missing.length > 0) {
    out.push('**Not measured in this run:**', '', ...report.missing.map((m) => `- ${m}`), '');
  }
  const chart = (key: string, alt: string) => (chartFiles[key] ? `![${alt}](${chartFiles[key]})\n` : '');

  const catalog = report.scenarios.catalog;
  if (catalog) {
    out.push('## 1. Catalog reads (cacheable)', '');
    const c = catalog.calibration;
    if (c) {
      out.push(
        `**Load generator calibration** (bare node:http alone, before any other round, products(first: 20)): ${formatNumber(c.requestsPerSecond)} req/s with the generator at ${c.generatorCores} cores and bare node:http at ${c.serverCores}; the generator spends ${c.generatorCpuMsPerRequest} ms CPU per request, so one core of it drives at most ${c.generatorCeilingRequestsPerSecond === null ? '—' : formatNumber(c.generatorCeilingRequestsPerSecond)} req/s.`,
        '',
      );
    }
    for (const workload of catalog.workloads) {
      out.push(`### ${workload.title}`, '', `\`${workload.query}\` — ${workload.distinctRequests} distinct request bodies.`, '');
      const g = workload.generator;
      if (g) {
        out.push(
          `**Load generator on bare node:http:** ${formatNumber(g.bareRequestsPerSecond)} req/s (${cell(g.bareVsCalibration)}× the calibration), generator at ${g.generatorCoresOnBare} cores in its busiest round, ${cell(g.generatorVsServerCpu)}× bare node:http's CPU per request — ${g.paceSetByGenerator ? '**the generator, not the server, set the pace: ratios to bare node:http are compressed toward 1; compare CPU per request instead**' : 'the server, not the generator, set the pace'}.`,
          '',
        );
      }
      out.push(systemsTable(workload.systems, { title: 'served from cache', value: hitRatio }), '');
      const cached = workload.systems.filter((s) => s.headerCounts[CACHE_STATUS_HEADER] && !s.headerCounts[CACHE_STATUS_HEADER]['(none)']);
      const tallies = cached.map((s) => `${s.label}: ${Object.entries(s.headerCounts[CACHE_STATUS_HEADER]!).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      if (tallies.length > 0) out.push(`\`${CACHE_STATUS_HEADER}\` answers — ${tallies.join('; ')}.`, '');
      out.push(chart(`${workload.key}-throughput`, `${workload.title}: requests per second`), chart(`${workload.key}-latency`, `${workload.title}: latency`));
    }
  }
  const deep = report.scenarios.deep;
  if (deep) {
    out.push('## 2. Deep federated read (private)', '');
    out.push(
      `\`${deep.query}\` with \`first: ${deep.pageSize}\` for ${deep.customers} customers in turn (${deep.ordersPerRequest} orders per page). SQL statements per request counted on the subgraphs' \`/metrics\` around a single request: **DataLoader ${deep.statementsPerRequest.batched}**, **without batching ${cell(deep.statementsPerRequest.naive)}**.`,
      '',
    );
    if (deep.cpu) {
      out.push(
        `**Cache off, DataLoader: ${deep.cpu.totalMsPerRequest} ms CPU per request over every process** (target ≤ 7), of which ${DEEP_GATEWAY} ${deep.cpu.gatewayMsPerRequest} (target ≤ 2.5): ${Object.entries(deep.cpu.byProcess)
          .filter(([name]) => name !== LOADGEN)
          .map(([name, ms]) => `${name} ${ms}`)
          .join(', ')}. Our gateway with cache and dedupe off spends **${cell(deep.ratios.gatewayCpuVsPlain)}×** plain @apollo/gateway's CPU per response over the same subgraphs (target ≤ 0.8).`,
        '',
      );
    }
    const spread = sameWorkSpread(deep);
    if (spread) out.push(spread, '');
    out.push(systemsTable(deep.systems, { title: 'SQL/request under load', value: (s) => cell(s.sqlStatementsPerRequest) }), '');
    out.push(chart('deep-throughput', 'deep read: requests per second'), chart('deep-latency', 'deep read: latency'));
  }
  const checkout = report.scenarios.checkout;
  if (checkout) {
    const w = checkout.writeTransactions;
    out.push('## 3. Checkout under concurrency', '');
    out.push(
      `${checkout.customers} customers, each placing an order (1–2 ordinary products, 30 % also one hot product), waiting for AWAITING_PAYMENT, paying, and waiting for PAID, for ${checkout.placingSeconds} s; orders in flight then finished (${checkout.seconds} s in all).`,
      '',
      '| orders placed | PAID | by status | PAID/s | p50 ms | p90 ms | p99 ms | oversold units | stock mismatches | errors (GraphQL / transport of requests) |',
      '|---:|---:|---|---:|---:|---:|---:|---:|---:|---|',
      `| ${checkout.placed} | ${checkout.byStatus.PAID ?? 0} | ${Object.entries(checkout.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')} | ${cell(checkout.paidPerSecond)} | ${cell(checkout.latencyMs.p50)} | ${cell(checkout.latencyMs.p90)} | ${cell(checkout.latencyMs.p99)} | ${checkout.oversold} | ${checkout.stockMismatches} | ${checkout.errors.graphql} / ${checkout.errors.transport} of ${checkout.errors.requests} |`,
      '',
      `**Database-bound ceiling.** ${w.paidCountedOrders} orders placed and paid on their own cost **${cell(w.total)} write transactions** in the bench database (${w.method}): **${cell(w.perOrder)} per order** (target ≤ 6). \`pgbench\` (TPC-B-like, ${checkout.pgbench.clients} clients, scale ${checkout.pgbench.scale}, ${checkout.pgbench.seconds} s) on the same Postgres: **${cell(checkout.pgbench.tps)} tps** → ceiling **${cell(checkout.ceilingOrdersPerSecond)} orders/s**; measured **${cell(checkout.paidPerSecond)} PAID/s = ${cell(checkout.ratioToCeiling)} of the ceiling** (target ≥ 0.5).`,
      '',
      ...checkoutCosts(checkout),
      '| process | cores busy | peak RSS MiB |',
      '|---|---:|---:|',
      ...Object.entries(checkout.processes).map(([name, u]) => `| ${name} | ${u.cores} | ${u.peakRssMiB === null ? '—' : Math.round(u.peakRssMiB)} |`),
      '',
      '| queue | jobs | mean seconds per attempt |',
      '|---|---:|---:|',
      ...Object.entries(checkout.jobSeconds).map(([queue, j]) => `| ${queue} | ${j.jobs} | ${j.meanSeconds} |`),
      '',
      chart('checkout', 'checkout: PAID orders per second vs the database ceiling'),
    );
  }
  const balancing = report.scenarios.balancing;
  if (balancing) {
    out.push('## 4. Replica balancing', '');
    out.push(
      `Three replicas of the ${balancing.subgraph} subgraph behind our gateway, \`${balancing.strategy}\`, weights ${balancing.replicas.map((r) => r.weight).join(':')}; ${formatNumber(balancing.gateway.requestsPerSecond)} gateway requests/s, ${formatNumber(balancing.throughput)} subgraph calls/s. Model: load_j = throughput × w_j / Σw.`,
      '',
      '| replica | weight | calls | share | model share | calls/s | model calls/s | share error | CPU s |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...balancing.replicas.map((r, i) => `| ${i + 1} | ${r.weight} | ${r.calls} | ${r.share} | ${r.modelShare} | ${r.callsPerSecond} | ${r.modelCallsPerSecond} | ${r.shareError} | ${r.cpuSeconds} |`),
      '',
      chart('balancing', 'replica balancing: measured vs model calls per second'),
    );
  }
  const pipeline = report.scenarios.pipeline;
  if (pipeline) {
    out.push('## 5. Subgraph request pipeline', '');
    out.push(
      `\`${pipeline.query}\` with one User reference, sent straight to the ${pipeline.subgraph} subgraph and signed as the gateway signs (a fresh nonce each, checked in Redis, whose CPU is not counted). User is a stub there (no reference resolver, no SQL), so this is the fixed cost every subgraph call pays: **${pipeline.subgraphCpuMsPerRequest} ms CPU per request** (target ≤ 0.8).`,
      '',
      systemsTable([pipeline.system]),
      '',
    );
  }
  const entityCache = report.scenarios.entityCache;
  if (entityCache) {
    out.push('## 5b. Entity cache (deep private read)', '');
    out.push(
      `Scenario 2's query for ${entityCache.customers} customers in turn, response cache off, through our gateway with its entity cache warm and with it off, over the same subgraphs in the same rounds. Products are PUBLIC entities (shared by every customer); each customer's orders page (the orders root fetch), user and payments are PRIVATE (kept per viewer). **CPU per request over every process, Postgres included: ${entityCache.cpu.on} ms warm vs ${entityCache.cpu.off} ms off = ${cell(entityCache.ratios.cpuOnVsOff)}×** (target ≤ 0.5); the gateway's own ${entityCache.cpu.gatewayOn} vs ${entityCache.cpu.gatewayOff}. Calls per request (counted one request at a time, cache warm): products subgraph **${entityCache.productsCallsPerRequest.on}** warm vs ${entityCache.productsCallsPerRequest.off} off, all subgraphs ${entityCache.subgraphCallsPerRequest.on} vs ${entityCache.subgraphCallsPerRequest.off}. Entity representations over the measured run: **${entityCache.representations.requested} requested, ${entityCache.representations.fetched} fetched** (${cell(entityCache.representations.fetchedShare)}).`,
      '',
      systemsTable(entityCache.systems),
      '',
    );
  }
  const subscriptions = report.scenarios.subscriptions;
  if (subscriptions) out.push(...subscriptionsSection(subscriptions));
  const capacity = report.scenarios.capacity;
  out.push('## 6. Capacity model', '');
  out.push(
    `Service demand S = CPU time per request of each process, as measured above; one Node instance runs its JavaScript on one core, so it serves at most 1/S requests/s. Instances = ⌈X · S / ρ⌉ at utilisation ρ = ${capacity.utilisation}. Little's law, N = X · R, gives the requests in flight at throughput X with the measured mean response time R (at this run's load, so an upper bound).`,
    '',
  );
  for (const plan of capacity.plans) {
    out.push(
      `### ${plan.target}`,
      '',
      `Measured on: ${plan.basis}. In flight (Little): ${formatNumber(plan.throughput)}/s × ${formatNumber(plan.inFlight.responseMs)} ms = **${plan.inFlight.concurrency}** concurrent.`,
      '',
      '| process | S (CPU ms) | cores busy (X·S) | instances |',
      '|---|---:|---:|---:|',
      ...plan.rows.map((r) => `| ${r.process} | ${r.serviceMs} | ${r.busyCores} | **${r.instances}** |`),
      '',
      ...plan.notes.map((n) => `- ${n}`),
      '',
    );
  }
  if (report.profiles) {
    out.push(
      '## Profile summary',
      '',
      `Each Node process's CPU profile (in \`${report.settings.cpuProfileDir}\`, covering its whole life), read only over the measured rounds of every scenario (start-up, warm-ups and pauses left out), the busiest process first; V8 samples wall-clock time, so on a loaded machine "busy" includes time a runnable process waited for a core. \`npx tsx bench/src/profile/top.ts <file>\` summarises a whole profile.`,
      '',
      ...(report.profiles.length === 0 ? ['No profile was written (a process stopped by SIGKILL writes none).', ''] : report.profiles.flatMap((p) => [profileMarkdown(p), ''])),
    );
  }
  out.push('---', '', `Raw numbers: [${report.date}-${report.name}.json](${report.date}-${report.name}.json). Reproduce with \`npm run bench\` (about 5 minutes; \`--quick\` under 1).`, '');
  return out.join('\n');
}

// ---------------------------------------------------------------- charts

export function renderCharts(report: BenchReport): Record<string, string> {
  const charts: Record<string, string> = {};
  for (const workload of report.scenarios.catalog?.workloads ?? []) {
    charts[`${workload.key}-throughput`] = barChart({
      title: `Catalog ${workload.title}: requests per second (higher is better)`,
      unit: 'req/s',
      bars: workload.systems.map((s) => ({ label: s.label, value: s.requestsPerSecond })),
    });
    charts[`${workload.key}-latency`] = groupedBarChart({
      title: `Catalog ${workload.title}: latency (lower is better)`,
      unit: 'ms',
      series: ['p50', 'p90', 'p99'],
      groups: workload.systems.map((s) => ({ label: s.label, values: [s.latencyMs.p50, s.latencyMs.p90, s.latencyMs.p99] })),
    });
  }
  const deep = report.scenarios.deep;
  if (deep) {
    charts['deep-throughput'] = barChart({
      title: 'Deep "my orders" read: requests per second (higher is better)',
      unit: 'req/s',
      bars: deep.systems.map((s) => ({ label: s.label, value: s.requestsPerSecond })),
    });
    charts['deep-latency'] = groupedBarChart({
      title: 'Deep "my orders" read: latency (lower is better)',
      unit: 'ms',
      series: ['p50', 'p90', 'p99'],
      groups: deep.systems.map((s) => ({ label: s.label, values: [s.latencyMs.p50, s.latencyMs.p90, s.latencyMs.p99] })),
    });
  }
  const checkout = report.scenarios.checkout;
  if (checkout) {
    charts.checkout = barChart({
      title: 'Checkout: orders per second to PAID vs the database-bound ceiling',
      unit: 'orders/s',
      bars: [
        { label: 'measured (PAID/s)', value: checkout.paidPerSecond },
        ...(checkout.ceilingOrdersPerSecond !== null ? [{ label: 'half the ceiling (target)', value: checkout.ceilingOrdersPerSecond / 2 }, { label: 'ceiling (pgbench tps / writes)', value: checkout.ceilingOrdersPerSecond }] : []),
      ],
    });
  }
  const balancing = report.scenarios.balancing;
  if (balancing) {
    charts.balancing = groupedBarChart({
      title: `Replica balancing (${balancing.strategy}): calls per second`,
      unit: '/s',
      series: ['measured', 'model'],
      groups: balancing.replicas.map((r, i) => ({ label: `replica ${i + 1} (weight ${r.weight})`, values: [r.callsPerSecond, r.modelCallsPerSecond] })),
    });
  }
  return charts;
}

/** Writes `<dir>/<date>-<name>.json`, `.md` and one SVG per chart. */
export function writeReport(report: BenchReport, dir: string): ReportFiles {
  mkdirSync(dir, { recursive: true });
  const base = `${report.date}-${report.name}`;
  const charts = renderCharts(report);
  const chartFiles: Record<string, string> = {};
  for (const [key, content] of Object.entries(charts)) {
    chartFiles[key] = `${base}-${key}.svg`;
    writeFileSync(`${dir}/${chartFiles[key]}`, content);
  }
  const json = `${dir}/${base}.json`;
  const markdown = `${dir}/${base}.md`;
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(report, chartFiles));
  return { json, markdown, charts: Object.values(chartFiles).map((file) => `${dir}/${file}`) };
}

/**
 * How far apart two processes doing the same work land: our two gateways over the same subgraphs,
 * one with dedupe on and one off, which this read hardly uses (a different customer per request,
 * so identical subgraph calls rarely meet); against how far apart one process lands in two
 * systems' rounds (each subgraph serves both gateways). When the first is far wider, a process
 * keeps its own speed, and a per-process comparison between two processes must beat that spread.
 */
function sameWorkSpread(deep: DeepResult): string | null {
  const byProcess = (key: string) => deep.systems.find((system) => system.key === key)?.cpuMsPerRequestByProcess;
  const ours = byProcess('dataloader');
  const noDedupe = byProcess('ours-no-dedupe');
  const withDedupe = ours?.[DEEP_GATEWAY];
  const withoutDedupe = noDedupe?.[NO_DEDUPE_GATEWAY];
  if (!ours || !noDedupe || withDedupe === undefined || !withoutDedupe) return null;
  const apart = (a: number, b: number) => Math.round(Math.abs(a / b - 1) * 100);
  const subgraphs = subgraphNames.filter((name) => ours[name] && noDedupe[name]);
  const roundsApart = Math.max(...subgraphs.map((name) => apart(ours[name]!, noDedupe[name]!)));
  return (
    `**Two processes, same work:** ${DEEP_GATEWAY} and ${NO_DEDUPE_GATEWAY}, over the same subgraphs, spent ${withDedupe} and ${withoutDedupe} ms per request, ` +
    `${apart(withDedupe, withoutDedupe)} % apart (dedupe, their one difference, hardly acts on this read)` +
    (subgraphs.length > 0 ? `; each subgraph, measured in both gateways' rounds, at most ${roundsApart} % apart. ` : '. ') +
    'Compare per-process figures of two different processes with that spread in mind.'
  );
}
