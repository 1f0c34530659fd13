import { resolve } from 'node:path';

/** What one benchmark run seeds and how long it drives each system. */
export interface BenchOptions {
  quick: boolean;
  /** Names the report files: `bench/results/<date>-<name>.{json,md}`. */
  name: string;
  /** Where the report goes (the test points it at a temporary folder). */
  resultsDir: string;
  seed: SeedSize;
  /** Interleaved rounds per scenario: every system is measured once per round, in rotating order. */
  rounds: number;
  /** Seconds of load per system per round. */
  roundSeconds: number;
  /** Seconds of unmeasured load per system before its first round (JIT, pools, caches). */
  warmupSeconds: number;
  /**
   * Requests each system answers before its first round, however long that takes up to
   * `warmupMaxSeconds`: V8 optimises a function after thousands of calls, not after a second, and a
   * deep read at a hundred requests a second is still on unoptimised code after `warmupSeconds` —
   * its first rounds then cost half as much again per request as its last. A harness run of the
   * deep read (eight-second windows, 32 connections) reached its steady CPU per request after
   * about 6,000 requests: 11.9, 9.2, 8.1, 6.9, 6.8 ms.
   */
  warmupRequests: number;
  warmupMaxSeconds: number;
  /** Concurrent connections autocannon keeps open. */
  connections: number;
  checkout: CheckoutSize;
  /** Seconds of `pgbench` on the bench database. */
  pgbenchSeconds: number;
  /** pgbench clients; the scale factor is the same, so clients do not queue on one branch row. */
  pgbenchClients: number;
  /** Requests through the gateway onto the weighted replicas. */
  balancingRequests: number;
  /**
   * `BENCH_CPU_PROF=<dir>`: every Node process of the platform and its peers writes a V8 CPU
   * profile there when it stops, summarised in the report (sampling costs a little CPU itself).
   */
  cpuProfileDir: string | null;
}

export interface SeedSize {
  products: number;
  users: number;
  orders: number;
  /** Products with little stock that every checkout customer competes for. */
  hotProducts: number;
  /** Units of each hot product: fewer than the customers want, so they sell out. */
  hotStock: number;
}

export interface CheckoutSize {
  /** Customers placing and paying orders at the same time. */
  customers: number;
  /** Seconds during which new orders are placed; orders in flight then finish. */
  seconds: number;
  /** Orders placed one after another while Postgres' WAL is read, to count write transactions. */
  countedOrders: number;
  /** Concurrent customers of each point of the throughput curve, and seconds of placing orders at each. */
  curveCustomers: number[];
  curveSeconds: number;
}

const full: Omit<BenchOptions, 'quick' | 'name' | 'resultsDir' | 'cpuProfileDir'> = {
  seed: { products: 10_000, users: 1_000, orders: 20_000, hotProducts: 5, hotStock: 5 },
  rounds: 3,
  roundSeconds: 2.5,
  warmupSeconds: 1,
  warmupRequests: 8_000,
  warmupMaxSeconds: 60,
  connections: 32,
  checkout: { customers: 32, seconds: 25, countedOrders: 40, curveCustomers: [4, 8, 16, 32, 48], curveSeconds: 6 },
  pgbenchSeconds: 10,
  pgbenchClients: 8,
  balancingRequests: 2_000,
};

const quick: typeof full = {
  seed: { products: 500, users: 50, orders: 500, hotProducts: 1, hotStock: 1 },
  rounds: 2,
  roundSeconds: 0.5,
  warmupSeconds: 0.2,
  warmupRequests: 0,
  warmupMaxSeconds: 0.2,
  connections: 16,
  checkout: { customers: 8, seconds: 2, countedOrders: 6, curveCustomers: [2, 8], curveSeconds: 1 },
  pgbenchSeconds: 1,
  pgbenchClients: 2,
  balancingRequests: 600,
};

/** The warm-up settings of `options`, as `measureInterleaved` takes them. */
export const warmupOf = ({ warmupSeconds, warmupRequests, warmupMaxSeconds }: BenchOptions) => ({ warmupSeconds, warmupRequests, warmupMaxSeconds });

/** Reads `--quick`, `--name <name>` and BENCH_CPU_PROF; `npm run bench --quick` arrives as npm_config_quick. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, defaultResultsDir: string): BenchOptions {
  const isQuick = argv.includes('--quick') || (env.npm_config_quick !== undefined && env.npm_config_quick !== 'false');
  const nameAt = argv.indexOf('--name');
  const given = nameAt >= 0 ? argv[nameAt + 1] : undefined;
  const unknown = argv.filter((arg, i) => arg !== '--quick' && arg !== '--name' && argv[i - 1] !== '--name');
  if (unknown.length > 0) throw new Error(`Unknown argument ${unknown[0]}: npm run bench [-- --quick] [-- --name <name>]`);
  const name = (given ?? (isQuick ? 'quick' : 'full')).replace(/[^\w.-]/g, '-');
  const cpuProfileDir = env.BENCH_CPU_PROF ? resolve(env.BENCH_CPU_PROF) : null;
  return { ...(isQuick ? quick : full), quick: isQuick, name, resultsDir: defaultResultsDir, cpuProfileDir };
}
