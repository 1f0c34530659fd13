import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem, type } from 'node:os';
import pg from 'pg';
import type { BenchOptions } from './options.js';
import type { Progress } from './progress.js';
import { measuredWindowsUs, round } from './proc.js';
import { headlineRatios, headlineText } from './report/headline.js';
import { REPORT_VERSION, writeReport, type BenchReport, type Hardware, type ReportFiles } from './report/report.js';
import { prepareBalancing, runBalancing, type BalancingResult } from './scenarios/balancing.js';
import { capacityModel } from './scenarios/capacity.js';
import { MISS_GATEWAY, prepareCatalog, runCatalog, type CatalogResult } from './scenarios/catalog.js';
import { runCheckout, type CheckoutResult } from './scenarios/checkout.js';
import { DEEP_GATEWAY, prepareDeep, runDeep, type DeepResult } from './scenarios/deep.js';
import { prepareEntityCache, runEntityCache, type EntityCacheResult } from './scenarios/entity-cache.js';
import { runSubgraphPipeline, type SubgraphPipelineResult } from './scenarios/subgraph-pipeline.js';
import { prepareSubscriptions, runSubscriptions, subscriptionsSize, type SubscriptionsResult } from './scenarios/subscriptions.js';
import { repoRoot, START_TIMEOUT_MS } from './processes.js';
import { summariseProfiles } from './profile/summary.js';
import { Cleanup, Stage } from './stage.js';

async function hardwareOf(databaseUrl: string): Promise<Hardware> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return {
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      cores: cpus().length,
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      os: `${type()} ${release()}`,
      postgres: `PostgreSQL ${rows[0]!.server_version.split(' ')[0]}`,
    };
  } finally {
    await client.end();
  }
}

function commitOf(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Our gateway with its caches off (the entity cache keeps PUBLIC root fields too), for scenarios that measure what lies behind them. */
const CACHE_OFF: Record<string, string> = { RESPONSE_CACHE: 'false', ENTITY_CACHE: 'false' };

/**
 * Runs every scenario against a fresh platform and writes the report. A scenario that fails is
 * reported as missing, with its error, and the others still run; Ctrl-C stops every process
 * and drops the database before exiting.
 */
export async function runBenchmark(options: BenchOptions, progress: Progress): Promise<{ report: BenchReport; files: ReportFiles }> {
  const startedAt = Date.now();
  const cleanup = new Cleanup();
  const interrupt = (signal: NodeJS.Signals) => {
    progress.note(`${signal}: stopping every process and dropping the bench database`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let report: BenchReport;
  try {
    const stage = await Stage.open(options, progress, cleanup);
    const hardware = await hardwareOf(stage.database.url);
    const missing: string[] = [];
    const attempt = async <T>(name: string, scenario: () => Promise<T>): Promise<T | null> => {
      try {
        return await scenario();
      } catch (error) {
        // Interrupted: no report of a half-run benchmark.
        if (cleanup.stopping) throw error;
        missing.push(`${name}: the scenario failed: ${error instanceof Error ? error.message : String(error)}`);
        progress.note(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      }
    };
    // Every process any scenario needs starts at once, beside the platform: start-up (CPU-bound
    // module loading) overlaps, and idle processes cost the measured ones nothing.
    const [, catalogSetup, deepSetup, balancingSetup, entityCacheSetup, subscriptionsSetup] = await Promise.all([
      stage.platform.healthy(START_TIMEOUT_MS),
      attempt('catalog', () => prepareCatalog(stage, CACHE_OFF)),
      attempt('deep read', () => prepareDeep(stage, { ...CACHE_OFF, ENTITY_CACHE: 'false' })),
      attempt('balancing', () => prepareBalancing(stage, CACHE_OFF)),
      attempt('entity cache', () => prepareEntityCache(stage, CACHE_OFF)),
      attempt('subscriptions', () => prepareSubscriptions(stage, subscriptionsSize(options.quick))),
    ]);
    const catalog: CatalogResult | null = catalogSetup && (await attempt('catalog', () => runCatalog(stage, progress, catalogSetup)));
    const deep: DeepResult | null = deepSetup && (await attempt('deep read', () => runDeep(stage, progress, deepSetup)));
    const entityCache: EntityCacheResult | null = entityCacheSetup && (await attempt('entity cache', () => runEntityCache(stage, progress, entityCacheSetup)));
    const pipeline: SubgraphPipelineResult | null = await attempt('subgraph pipeline', () => runSubgraphPipeline(stage, progress));
    const checkout: CheckoutResult | null = await attempt('checkout', () => runCheckout(stage, progress));
    const balancing: BalancingResult | null = balancingSetup && (await attempt('balancing', () => runBalancing(stage, progress, balancingSetup)));
    const subscriptions: SubscriptionsResult | null = subscriptionsSetup && (await attempt('subscriptions', () => runSubscriptions(stage, progress, subscriptionsSetup)));
    const byId = catalog?.workloads.find((w) => w.key === 'product-by-id');
    const capacity = capacityModel({
      catalogMiss: byId?.systems.find((s) => s.key === 'ours-cache-off'),
      catalogMissGateway: MISS_GATEWAY,
      catalogHit: byId?.systems.find((s) => s.key === 'ours-l1-hit'),
      catalogHitGateway: 'gateway',
      deep: deep?.systems.find((s) => s.key === 'dataloader'),
      deepGateway: DEEP_GATEWAY,
      checkout: checkout ?? undefined,
    });
    missing.push(...(catalog?.missing ?? []), ...(deep?.missing ?? []), ...(checkout?.missing ?? []), ...(subscriptions?.missing ?? []), ...capacity.missing);
    const scenarios = { catalog, deep, checkout, balancing, pipeline, entityCache, subscriptions, capacity };
    const ratios = headlineRatios(scenarios, missing);
    const { seed, name, resultsDir, quick, ...settings } = options;
    report = {
      version: REPORT_VERSION,
      name,
      date: new Date().toISOString().slice(0, 10),
      quick,
      durationSeconds: round((Date.now() - startedAt) / 1000, 1),
      commit: commitOf(),
      hardware,
      seed,
      settings,
      postgresCpu: stage.postgres.method,
      ratios,
      headline: headlineText(ratios),
      scenarios,
      profiles: null,
      missing,
    };
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    progress.note('stopping the platform and dropping the bench database');
    await cleanup.run();
  }
  // Processes write their CPU profiles as they exit: only now are they all there.
  if (options.cpuProfileDir) report.profiles = summariseProfiles(options.cpuProfileDir, repoRoot, startedAt, 15, measuredWindowsUs());
  progress.note('writing the report');
  return { report, files: writeReport(report, options.resultsDir) };
}
