import { readCounter } from '@shopgraph/testing';
import type { LoadGenerator } from './load/client.js';
import type { HttpLoadResult, HttpRequestSpec } from './load/protocol.js';
import { cpuSeconds, round, UsageMeter, type ProcessGroup, type ProcessUsage } from './proc.js';
import type { Progress } from './progress.js';
import { concat, percentiles, ratio, type Percentiles } from './stats.js';

/** One thing under load: where to send requests and which processes answer them. */
export interface SystemUnderTest {
  /** Short key used in the report's JSON, e.g. `plain-apollo-gateway`. */
  key: string;
  /** What a reader sees, e.g. "plain @apollo/gateway (no plugins)". */
  label: string;
  url: string;
  /** The processes serving it, by name (CPU and memory are reported for each). */
  pids: Map<string, number>;
  /** The subgraphs' `/metrics` pages whose SQL statements this system causes. */
  sqlMetricsUrls?: string[];
  /** It reads the bench database: Postgres' CPU counts toward its requests. */
  usesDatabase?: boolean;
}

/**
 * A gateway measured with the subgraphs it calls: CPU and memory of all of them, and the SQL
 * statements the subgraphs run for it.
 */
export function gatewaySystem(
  key: string,
  label: string,
  gateway: { url: string; process: { name: string; pid: number } },
  subgraphs: { pids: Map<string, number>; metricsUrls: string[] },
): SystemUnderTest {
  return {
    key,
    label,
    url: gateway.url,
    pids: new Map([[gateway.process.name, gateway.process.pid], ...subgraphs.pids]),
    sqlMetricsUrls: subgraphs.metricsUrls,
    usesDatabase: true,
  };
}

export interface SystemResult {
  key: string;
  label: string;
  requests: number;
  /** Measured seconds, all rounds together. */
  seconds: number;
  requestsPerSecond: number;
  /** Each round's requests/s, in round order: their spread shows how noisy the machine was. */
  roundRequestsPerSecond: number[];
  latencyMs: Percentiles;
  errors: { transport: number; http: number; graphql: number; rate: number; first: string | null };
  processes: Record<string, ProcessUsage>;
  /** CPU milliseconds per request, over every process serving the system, Postgres included when it reads the database (the load generator excluded). */
  cpuMsPerRequest: number;
  /** CPU milliseconds per request of each process, the load generator's and Postgres' too. */
  cpuMsPerRequestByProcess: Record<string, number>;
  /** The load generator's own CPU in each measured round, in cores (1 = a whole core). */
  generatorCoresPerRound: number[];
  /** Rounds in which the load generator kept ≥ GENERATOR_SATURATED_CORES of a core busy: there it, not the system, may have set the pace. */
  generatorSaturatedRounds: number;
  /** Response-header tallies (e.g. cache status → responses). */
  headerCounts: Record<string, Record<string, number>>;
  /** SQL statements sent per request under load, when the system's subgraphs count them. */
  sqlStatementsPerRequest: number | null;
}

export interface InterleavedOptions {
  systems: SystemUnderTest[];
  requests: HttpRequestSpec[];
  rounds: number;
  roundSeconds: number;
  /** Each round sends this many requests instead of lasting `roundSeconds`. */
  roundRequests?: number;
  warmupSeconds: number;
  /** After `warmupSeconds`, more warm-up until the system has answered this many requests, or `warmupMaxSeconds` in all. */
  warmupRequests?: number;
  warmupMaxSeconds?: number;
  connections: number;
  countHeaders?: string[];
  progress: Progress;
  /** The label the progress bar shows. */
  title: string;
  /** Postgres' backends, counted for the systems that use the database. */
  postgres?: ProcessGroup;
  /** Sign each request as the gateway signs a subgraph call (a subgraph measured directly). */
  sign?: { secret: string; audience: string };
}

/** The longest stretch of warm-up one system gets before the next takes its turn. */
export const WARMUP_TURN_SECONDS = 5;

/** The load generator's name among a system's processes. */
export const LOADGEN = 'load generator';

/**
 * A load generator (one Node process, one thread of JavaScript) using this much of a core is at
 * its limit: the responses it counts come as fast as it can send and read them, not as fast as
 * the system could answer.
 */
export const GENERATOR_SATURATED_CORES = 0.9;

async function sqlStatements(urls: string[] | undefined): Promise<number | null> {
  if (!urls || urls.length === 0) return null;
  const counts = await Promise.all(urls.map((url) => readCounter(url, 'shopgraph_sql_statements_total')));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Drives every system with the same requests in short rounds, taking turns (the order rotates
 * each round), so a slow minute on a shared machine falls on all of them alike. Latency
 * percentiles are over every response of every round; requests/s is all requests over all
 * measured time.
 */
export async function measureInterleaved(loadgen: LoadGenerator, options: InterleavedOptions): Promise<SystemResult[]> {
  const { systems } = options;
  const results = new Map<string, HttpLoadResult[]>(systems.map((s) => [s.key, []]));
  const meters = new Map(
    systems.map((s) => [s.key, new UsageMeter(new Map([...s.pids, [LOADGEN, loadgen.pid]]), s.usesDatabase && options.postgres ? [options.postgres] : [])]),
  );
  const generatorCores = new Map<string, number[]>(systems.map((s) => [s.key, []]));
  const sql = new Map(systems.map((s) => [s.key, { statements: 0, requests: 0 }]));
  const command = (system: SystemUnderTest, seconds: number, amount?: number) => ({
    kind: 'http' as const,
    url: system.url,
    requests: options.requests,
    connections: options.connections,
    seconds,
    ...(amount ? { amount } : {}),
    countHeaders: options.countHeaders ?? [],
    ...(options.sign ? { sign: options.sign } : {}),
  });

  const steps = systems.length * (options.rounds + (options.warmupSeconds > 0 ? 1 : 0));
  const task = options.progress.task(options.title, steps);
  // A round that ends on the clock leaves requests in flight whose CPU was spent but whose
  // responses are not counted: on a slow system (a deep read with 32 connections) that is a
  // large share of a short round. So each round sends a fixed number of requests, as many as
  // the system answered in `roundSeconds` at its latest rate (warm-up, then its previous round),
  // and every one is answered in it.
  const rates = new Map<string, number>();
  if (options.warmupSeconds > 0) {
    // Each system's first `warmupSeconds` gives its rate; how long the rest of its warm-up lasts follows from it.
    const left = new Map<string, number>();
    for (const system of systems) {
      const warm = await loadgen.run(command(system, options.warmupSeconds));
      if (warm.requests > 0 && warm.seconds > 0) rates.set(system.key, warm.requests / warm.seconds);
      const remaining = (options.warmupRequests ?? 0) - warm.requests;
      const rate = rates.get(system.key);
      // As long as the remaining requests take at the rate so far, within the time left: the
      // rate rises as the code warms, so this errs towards fewer requests, never a longer wait.
      if (remaining > 0 && rate !== undefined) left.set(system.key, Math.min(remaining / rate, (options.warmupMaxSeconds ?? options.warmupSeconds) - options.warmupSeconds));
      if ((left.get(system.key) ?? 0) < 0.5) task.advance(`warm-up ${system.label}`);
    }
    // The rest in turns of at most WARMUP_TURN_SECONDS, the systems taking turns as in the rounds:
    // a system warmed all at once and then left idle while the others warm (a minute each) was
    // measured colder than the last one warmed — the first-warmed of three gateways over the same
    // subgraphs (two identical, one without dedupe) spent 14–16 % more CPU per deep read than the
    // other two; warmed in turns, three identical ones came within 4 %.
    while ([...left.values()].some((seconds) => seconds >= 0.5)) {
      for (const system of systems) {
        const seconds = left.get(system.key) ?? 0;
        if (seconds < 0.5) continue;
        const turn = Math.min(seconds, WARMUP_TURN_SECONDS);
        left.set(system.key, seconds - turn);
        const more = await loadgen.run(command(system, turn));
        if (more.requests > 0 && more.seconds > 0) rates.set(system.key, more.requests / more.seconds);
        if (seconds - turn < 0.5) task.advance(`warm-up ${system.label}`);
      }
    }
  }
  const roundAmount = (system: SystemUnderTest) => {
    if (options.roundRequests) return options.roundRequests;
    const rate = rates.get(system.key);
    return rate === undefined ? undefined : Math.max(options.connections, Math.round(rate * options.roundSeconds));
  };
  for (let r = 0; r < options.rounds; r++) {
    for (let k = 0; k < systems.length; k++) {
      const system = systems[(k + r) % systems.length]!;
      const meter = meters.get(system.key)!;
      const before = await sqlStatements(system.sqlMetricsUrls);
      await meter.begin();
      const generatorBefore = cpuSeconds(loadgen.pid) ?? 0;
      const startedAt = performance.now();
      const result = await loadgen.run(command(system, options.roundSeconds, roundAmount(system)));
      const wall = (performance.now() - startedAt) / 1000;
      generatorCores.get(system.key)!.push(round(((cpuSeconds(loadgen.pid) ?? generatorBefore) - generatorBefore) / wall, 2));
      await meter.end();
      if (result.requests > 0 && result.seconds > 0) rates.set(system.key, result.requests / result.seconds);
      const after = await sqlStatements(system.sqlMetricsUrls);
      if (before !== null && after !== null) {
        const counted = sql.get(system.key)!;
        counted.statements += after - before;
        counted.requests += result.requests;
      }
      results.get(system.key)!.push(result);
      task.advance(`round ${r + 1}/${options.rounds} ${system.label}`);
    }
  }
  task.done();

  return systems.map((system) => {
    const rounds = results.get(system.key)!;
    const requests = rounds.reduce((n, x) => n + x.requests, 0);
    const seconds = rounds.reduce((n, x) => n + x.seconds, 0);
    const transport = rounds.reduce((n, x) => n + x.transportErrors, 0);
    const http = rounds.reduce((n, x) => n + x.non2xx, 0);
    const graphql = rounds.reduce((n, x) => n + x.graphqlErrors, 0);
    const processes = meters.get(system.key)!.result();
    const serverCpu = Object.entries(processes)
      .filter(([name]) => name !== LOADGEN)
      .reduce((n, [, usage]) => n + usage.cpuSeconds, 0);
    const headerCounts: Record<string, Record<string, number>> = {};
    for (const round of rounds) {
      for (const [header, counts] of Object.entries(round.headerCounts)) {
        const total = (headerCounts[header] ??= {});
        for (const [value, n] of Object.entries(counts)) total[value] = (total[value] ?? 0) + n;
      }
    }
    const counted = sql.get(system.key)!;
    const cores = generatorCores.get(system.key)!;
    return {
      key: system.key,
      label: system.label,
      requests,
      seconds: round(seconds, 3),
      requestsPerSecond: round(requests / seconds, 1),
      roundRequestsPerSecond: rounds.map((x) => round(x.requests / x.seconds, 1)),
      latencyMs: percentiles(concat(rounds.map((x) => x.latenciesMs))),
      errors: {
        transport,
        http,
        graphql,
        rate: ratio(transport + http + graphql, requests + transport, 5) ?? 0,
        first: rounds.find((x) => x.firstError)?.firstError ?? null,
      },
      processes,
      cpuMsPerRequest: requests > 0 ? round((serverCpu * 1000) / requests, 3) : 0,
      cpuMsPerRequestByProcess: Object.fromEntries(
        Object.entries(processes).map(([name, usage]) => [name, requests > 0 ? round((usage.cpuSeconds * 1000) / requests, 3) : 0]),
      ),
      generatorCoresPerRound: cores,
      generatorSaturatedRounds: cores.filter((c) => c >= GENERATOR_SATURATED_CORES).length,
      headerCounts,
      sqlStatementsPerRequest: system.sqlMetricsUrls && counted.requests > 0 ? round(counted.statements / counted.requests, 2) : null,
    };
  });
}
