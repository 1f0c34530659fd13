import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultCacheKeyPrefix } from '@shopgraph/cache';
import { issueToken } from '@shopgraph/common';
import { Redis } from 'ioredis';
import { createTestDatabase, freePort, type TestDatabase } from '@shopgraph/testing';
import { platformProcesses, portsOf, serviceUrlEnv, startPlatform, type ProcessName, type RunningPlatform } from '../../scripts/platform.js';
import { LoadGenerator } from './load/client.js';
import type { BenchOptions } from './options.js';
import { PostgresCpu } from './postgres-cpu.js';
import {
  answersGraphQL,
  answersHealth,
  ExitedBeforeReady,
  outputFor,
  repoRoot,
  startNode,
  stopAll,
  waitUntil,
  type BenchProcess,
} from './processes.js';
import type { Progress } from './progress.js';
import { benchId, seedBenchDatabase } from './seed.js';

export const subgraphNames = ['products', 'users', 'orders', 'payments'] as const;
export type Subgraph = (typeof subgraphNames)[number];

/** Deletes every key matching one of `patterns` (SCAN, never KEYS: Redis stays responsive). */
async function deleteRedisKeys(url: string, patterns: string[]): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    for (const match of patterns) {
      for await (const keys of redis.scanStream({ match, count: 500 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.unlink(...keys);
      }
    }
  } finally {
    redis.disconnect();
  }
}

const cpuProfilePreload = fileURLToPath(new URL('./profile/cpu-profile-preload.mjs', import.meta.url));

/** The environment that makes a Node process write a CPU profile into `dir` when it stops (bench/src/profile/cpu-profile-preload.mjs). */
function cpuProfileEnv(dir: string | null): Record<string, string> {
  return dir ? { NODE_OPTIONS: `--import=${cpuProfilePreload}`, BENCH_CPU_PROF_DIR: dir } : {};
}

/** Starts of one process on fresh ports before a lost port fails the run. */
const PORT_ATTEMPTS = 3;

const subgraphSpec = (name: Subgraph) => platformProcesses.find((p) => p.name === name)!;

/** A set of the four subgraphs: the platform's own, or a second set started with other settings. */
export interface SubgraphSet {
  urls: Record<Subgraph, string>;
  metricsUrls: string[];
  pids: Map<string, number>;
  /** The processes a scenario started for this set (none for the platform's own). */
  processes: BenchProcess[];
}

/**
 * What must be undone, newest first: processes to stop, the database to drop. The benchmark
 * registers each thing as it creates it, so Ctrl-C at any moment (seeding, start-up, a
 * scenario) leaves nothing behind; once stopping, nothing new may start.
 */
export class Cleanup {
  private readonly actions: (() => Promise<unknown>)[] = [];
  private running: Promise<void> | undefined;

  get stopping(): boolean {
    return this.running !== undefined;
  }

  add(action: () => Promise<unknown>): void {
    if (this.running) throw new Error('the benchmark is stopping');
    this.actions.push(action);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const action of this.actions.reverse()) await action().catch(() => undefined);
    })();
    return this.running;
  }
}

/** Everything one benchmark run runs against; `close()` stops it all and drops the database. */
export class Stage {
  readonly extra: BenchProcess[] = [];

  private constructor(
    readonly options: BenchOptions,
    private readonly cleanup: Cleanup,
    readonly database: TestDatabase,
    /** The environment every process of ours gets: production mode, this run's secrets and database. */
    readonly env: Record<string, string>,
    readonly platform: RunningPlatform,
    readonly ports: Record<ProcessName, number>,
    readonly loadgen: LoadGenerator,
    readonly workDir: string,
    /** Postgres' CPU for the bench database's backends (`method` says how it is counted). */
    readonly postgres: PostgresCpu,
  ) {
    cleanup.add(() => stopAll(this.extra));
  }

  /** Creates and seeds the bench database, then starts the platform (`platform.healthy()` says when it is up) and the load generator. */
  static async open(options: BenchOptions, progress: Progress, cleanup: Cleanup): Promise<Stage> {
    const database = await createTestDatabase('sg_bench');
    const workDir = `${repoRoot}bench/tmp/${database.name}`;
    const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
    cleanup.add(async () => {
      await database.drop();
      // The run's queues, rate limits, persisted queries and cached responses, under prefixes named after its database.
      await deleteRedisKeys(redisUrl, [`{${database.name}}:*`, `${defaultCacheKeyPrefix(database.url)}*`]);
      rmSync(workDir, { recursive: true, force: true });
    });
    progress.note(`seeding ${database.name}: ${options.seed.products} products, ${options.seed.users} users, ${options.seed.orders} orders`);
    await seedBenchDatabase(database.url, options.seed);
    const postgres = await PostgresCpu.open(database.url, database.name);
    // Registered after the database, so it closes before the database is dropped.
    cleanup.add(() => postgres.close());
    if (options.cpuProfileDir) mkdirSync(options.cpuProfileDir, { recursive: true });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // The platform as it runs in production: no Sandbox, no introspection, JSON logs at info.
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      JWT_SECRET: randomBytes(32).toString('hex'),
      GATEWAY_SECRET: randomBytes(32).toString('hex'),
      PAYMENT_PROVIDER_KEY: randomBytes(32).toString('hex'),
      ADMIN_EMAIL: 'admin@bench.shopgraph.local',
      ADMIN_PASSWORD: randomBytes(16).toString('hex'),
      // Its own queues, rate-limit counts and persisted queries: a platform someone runs beside
      // the benchmark shares none of them, and all go when the run ends.
      QUEUE_PREFIX: `{${database.name}}`,
      RATE_LIMIT_REDIS_PREFIX: `{${database.name}}:rate-limit:`,
      APQ_REDIS_PREFIX: `{${database.name}}:apq:`,
      // Rate limiting stays on, as in production, with limits no benchmark client reaches.
      RATE_LIMIT_IP_POINTS: '1000000000',
      RATE_LIMIT_USER_POINTS: '1000000000',
      ...cpuProfileEnv(options.cpuProfileDir),
    };
    for (const spec of platformProcesses) env[spec.portEnv] = String(await freePort());
    const ports = portsOf(env);
    Object.assign(env, serviceUrlEnv(ports));
    const logsDir = process.env.BENCH_LOGS;
    if (cleanup.stopping) throw new Error('the benchmark is stopping');
    progress.note('starting the platform and the systems it is compared with');
    const platform = startPlatform(env, logsDir ? 'pipe' : 'ignore');
    cleanup.add(() => platform.stop());
    if (logsDir) for (const [name, child] of platform.children) outputFor(name, child, logsDir);
    const loadgen = new LoadGenerator();
    cleanup.add(() => loadgen.close());
    mkdirSync(workDir, { recursive: true });
    return new Stage(options, cleanup, database, env, platform, ports, loadgen, workDir, postgres);
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.ports.gateway}/graphql`;
  }

  /** The platform's processes, by name, with their pids. */
  pidsOf(...names: ProcessName[]): Map<string, number> {
    return new Map(names.map((name) => [name, this.platform.children.get(name)!.pid!]));
  }

  /** The platform's own four subgraphs. */
  get subgraphs(): SubgraphSet {
    return {
      urls: Object.fromEntries(subgraphNames.map((name) => [name, `http://127.0.0.1:${this.ports[name]}/graphql`])) as Record<Subgraph, string>,
      metricsUrls: subgraphNames.map((name) => `http://127.0.0.1:${this.ports[name]}/metrics`),
      pids: this.pidsOf(...subgraphNames),
      processes: [],
    };
  }

  metricsUrl(name: ProcessName): string {
    return `http://127.0.0.1:${this.ports[name]}/metrics`;
  }

  /** Starts a process for a scenario, unless the benchmark is stopping (Ctrl-C): then nothing new starts. */
  private start(name: string, cwd: string, entry: string, env: NodeJS.ProcessEnv): BenchProcess {
    if (this.cleanup.stopping) throw new Error('the benchmark is stopping');
    const labelled = this.options.cpuProfileDir ? { ...env, BENCH_CPU_PROF_LABEL: name } : env;
    const process = startNode(name, cwd, entry, labelled, this.logsDir);
    this.extra.push(process);
    return process;
  }

  /**
   * Runs `launch` (which picks free ports, starts a process on them and waits until it is ready)
   * again when the process lost one of its ports: a port is free when it is chosen, but until the
   * process binds it any outgoing connection on the machine may take it (they come from the same
   * range), and twenty processes opening their pools at once make that likely enough to fail a run.
   */
  private async onFreePorts<T>(launch: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch();
      } catch (error) {
        if (!(error instanceof ExitedBeforeReady && error.portTaken) || attempt === PORT_ATTEMPTS) throw error;
      }
    }
  }

  /** One more replica of a subgraph, on a free port, with `settings` on top of the platform's env. */
  startSubgraph(name: Subgraph, label: string, settings: Record<string, string> = {}) {
    const spec = subgraphSpec(name);
    return this.onFreePorts(async () => {
      const port = await freePort();
      const process = this.start(label, `${repoRoot}${spec.dir}`, 'src/index.ts', { ...this.env, ...settings, [spec.portEnv]: String(port) });
      await waitUntil(process, answersHealth(`http://127.0.0.1:${port}/health`));
      return { process, url: `http://127.0.0.1:${port}/graphql`, metricsUrl: `http://127.0.0.1:${port}/metrics` };
    });
  }

  /** A second set of all four subgraphs, e.g. with DataLoader batching off. */
  async startSubgraphSet(prefix: string, settings: Record<string, string>): Promise<SubgraphSet> {
    const started = await Promise.all(
      subgraphNames.map(async (name) => ({ name, ...(await this.startSubgraph(name, `${prefix} ${name}`, settings)) })),
    );
    return {
      urls: Object.fromEntries(started.map((s) => [s.name, s.url])) as Record<Subgraph, string>,
      metricsUrls: started.map((s) => s.metricsUrl),
      pids: new Map(started.map((s) => [s.process.name, s.process.pid])),
      processes: started.map((s) => s.process),
    };
  }

  /** Another instance of our gateway, over `subgraphs`, with `settings` on top of the platform's env. */
  startGateway(label: string, subgraphs: SubgraphSet, settings: Record<string, string> = {}) {
    return this.onFreePorts(async () => {
      const port = await freePort();
      // Its metrics are on its operator listener, not on the public one.
      const metricsPort = await freePort();
      const env = { ...this.env, ...this.subgraphUrlEnv(subgraphs), ...settings, GATEWAY_PORT: String(port), GATEWAY_METRICS_PORT: String(metricsPort) };
      const process = this.start(label, `${repoRoot}gateway`, 'src/index.ts', env);
      await waitUntil(process, answersHealth(`http://127.0.0.1:${port}/health`));
      return { process, url: `http://127.0.0.1:${port}/graphql`, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
    });
  }

  /** The peer: plain @apollo/gateway over the platform's subgraphs. */
  startPlainGateway(label = 'plain @apollo/gateway') {
    return this.onFreePorts(() => this.startPlainGatewayOnce(label));
  }

  private async startPlainGatewayOnce(label: string) {
    const port = await freePort();
    const env = {
      PATH: this.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      SUPERGRAPH_PATH: `${repoRoot}schema/supergraph.graphql`,
      GATEWAY_SECRET: this.env.GATEWAY_SECRET!,
      JWT_SECRET: this.env.JWT_SECRET!,
      ...this.subgraphUrlEnv(this.subgraphs),
      ...cpuProfileEnv(this.options.cpuProfileDir),
    };
    const process = this.start(label, `${repoRoot}bench`, 'src/systems/plain-gateway.ts', env);
    const url = `http://127.0.0.1:${port}/`;
    await waitUntil(process, answersGraphQL(url));
    return { process, url };
  }

  /** The ceiling: bare node:http answering each request body with `responses[body]`. */
  startBareServer(responses: Record<string, string>) {
    const responsesPath = `${this.workDir}/bare-responses.json`;
    writeFileSync(responsesPath, JSON.stringify(responses));
    return this.onFreePorts(async () => {
      const port = await freePort();
      const env = { PATH: this.env.PATH, PORT: String(port), RESPONSES_PATH: responsesPath, ...cpuProfileEnv(this.options.cpuProfileDir) };
      const process = this.start('bare node:http', `${repoRoot}bench`, 'src/systems/bare-http.ts', env);
      await waitUntil(process, answersHealth(`http://127.0.0.1:${port}/health`));
      return { process, url: `http://127.0.0.1:${port}/graphql` };
    });
  }

  /** Stops processes a scenario started, freeing their Postgres connections for the next one. */
  async stopExtra(processes: BenchProcess[]): Promise<void> {
    await stopAll(processes);
    for (const process of processes) this.extra.splice(this.extra.indexOf(process), 1);
  }

  /** A bearer token for seeded customer n (1-based), minted with this run's secret. */
  tokenFor(n: number): Promise<string> {
    return issueToken(this.env.JWT_SECRET!, { id: benchId('user', n), role: 'CUSTOMER' });
  }

  private subgraphUrlEnv(subgraphs: SubgraphSet) {
    return Object.fromEntries(subgraphNames.map((name) => [`${name.toUpperCase()}_URL`, subgraphs.urls[name]]));
  }

  private get logsDir() {
    return process.env.BENCH_LOGS;
  }
}
