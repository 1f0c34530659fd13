import { z } from 'zod';
import { balancerStrategies, type BalancerStrategy } from './balancer.js';
import type { ReplicaSpec, UpstreamPolicy } from './upstream.js';

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);

/** The upstream knobs that apply to every subgraph (`SUBGRAPH_TIMEOUT_MS` lives in env.ts already). */
export const upstreamEnvSchema = z.object({
  SUBGRAPH_BALANCER: z.enum(balancerStrategies).default('round-robin'),
  SUBGRAPH_RETRIES: nonNegativeInt.default(1),
  SUBGRAPH_RETRY_BUDGET_RATIO: z.coerce.number().min(0).max(1).default(0.2),
  SUBGRAPH_RETRY_BUDGET_MIN_PER_SECOND: z.coerce.number().min(0).default(1),
  SUBGRAPH_DEDUPE: z.stringbool().default(true),
  SUBGRAPH_HEALTH_CHECK_INTERVAL_MS: nonNegativeInt.default(5000),
  SUBGRAPH_HEALTH_CHECK_TIMEOUT_MS: positiveInt.default(2000),
  SUBGRAPH_EJECT_AFTER_FAILURES: positiveInt.default(3),
  SUBGRAPH_EJECT_BASE_MS: positiveInt.default(5000),
  SUBGRAPH_EJECT_MAX_MS: positiveInt.default(60_000),
  SUBGRAPH_BREAKER_FAILURES: positiveInt.default(5),
  SUBGRAPH_BREAKER_OPEN_MS: positiveInt.default(10_000),
  SUBGRAPH_DNS_REFRESH_MS: positiveInt.default(5000),
});

/** Shares the `SUBGRAPH_DNS_` prefix but applies to every subgraph, so it is no subgraph's discovery URL. */
const DNS_REFRESH = 'SUBGRAPH_DNS_REFRESH_MS';

/** Per-subgraph variables: the prefix, then the subgraph's env name (`subgraphEnvName`). */
const PER_SUBGRAPH = {
  replicas: 'SUBGRAPH_REPLICAS_',
  dns: 'SUBGRAPH_DNS_',
  balancer: 'SUBGRAPH_BALANCER_',
  timeoutMs: 'SUBGRAPH_TIMEOUT_MS_',
} as const;

/** Weights beyond this would only bloat the ip-hash ring. */
const MAX_WEIGHT = 100;

const replicaUrl = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

/** `url` or `url|weight`, comma separated. */
const replicaList = z
  .string()
  .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
  .pipe(
    z
      .array(
        z.string().transform((entry, ctx): ReplicaSpec => {
          const [url = '', weight = '1', ...rest] = entry.split('|').map((part) => part.trim());
          const parsedUrl = replicaUrl.safeParse(url);
          const parsedWeight = Number(weight);
          if (!parsedUrl.success || rest.length > 0) ctx.addIssue({ code: 'custom', message: `${entry}: expected url or url|weight with an http(s) URL` });
          else if (!Number.isInteger(parsedWeight) || parsedWeight < 1 || parsedWeight > MAX_WEIGHT) {
            ctx.addIssue({ code: 'custom', message: `${entry}: the weight must be a whole number from 1 to ${MAX_WEIGHT}` });
          }
          return { url, weight: parsedWeight };
        }),
      )
      .min(1, 'lists no replica')
      .refine((specs) => new Set(specs.map((spec) => spec.url)).size === specs.length, 'lists a URL twice'),
  );

export interface UpstreamConfig {
  /** The policy of a subgraph without overrides. */
  defaults: UpstreamPolicy;
  /** By subgraph env name. */
  replicas: Record<string, ReplicaSpec[]>;
  /** By subgraph env name: a URL whose host's IPv4 addresses are the replicas; wins over `replicas`. */
  dns: Record<string, string>;
  dnsRefreshMs: number;
  balancers: Record<string, BalancerStrategy>;
  timeoutsMs: Record<string, number>;
}

/** Every per-subgraph upstream variable in `source`, keyed by subgraph env name, with the problems found. */
export function subgraphUpstreamOverrides(source: Record<string, string | undefined>) {
  const overrides: Pick<UpstreamConfig, 'replicas' | 'dns' | 'balancers' | 'timeoutsMs'> = { replicas: {}, dns: {}, balancers: {}, timeoutsMs: {} };
  const problems: string[] = [];
  const read = <T>(envName: string, value: string, schema: z.ZodType<T>): T | undefined => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    problems.push(`  - ${envName}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
    return undefined;
  };
  for (const [envName, value] of Object.entries(source)) {
    if (!value || envName === DNS_REFRESH) continue;
    if (envName.startsWith(PER_SUBGRAPH.replicas)) {
      const replicas = read(envName, value, replicaList);
      if (replicas) overrides.replicas[envName.slice(PER_SUBGRAPH.replicas.length)] = replicas;
    } else if (envName.startsWith(PER_SUBGRAPH.dns)) {
      const url = read(envName, value, replicaUrl);
      if (url) overrides.dns[envName.slice(PER_SUBGRAPH.dns.length)] = url;
    } else if (envName.startsWith(PER_SUBGRAPH.balancer)) {
      const balancer = read(envName, value, z.enum(balancerStrategies));
      if (balancer) overrides.balancers[envName.slice(PER_SUBGRAPH.balancer.length)] = balancer;
    } else if (envName.startsWith(PER_SUBGRAPH.timeoutMs)) {
      const timeoutMs = read(envName, value, positiveInt);
      if (timeoutMs) overrides.timeoutsMs[envName.slice(PER_SUBGRAPH.timeoutMs.length)] = timeoutMs;
    }
  }
  return { overrides, problems };
}

export function toUpstreamConfig(
  env: z.output<typeof upstreamEnvSchema> & { SUBGRAPH_TIMEOUT_MS: number },
  overrides: ReturnType<typeof subgraphUpstreamOverrides>['overrides'],
): UpstreamConfig {
  return {
    defaults: {
      balancer: env.SUBGRAPH_BALANCER,
      timeoutMs: env.SUBGRAPH_TIMEOUT_MS,
      retries: {
        max: env.SUBGRAPH_RETRIES,
        budgetRatio: env.SUBGRAPH_RETRY_BUDGET_RATIO,
        budgetMinPerSecond: env.SUBGRAPH_RETRY_BUDGET_MIN_PER_SECOND,
      },
      breaker: { failureThreshold: env.SUBGRAPH_BREAKER_FAILURES, openMs: env.SUBGRAPH_BREAKER_OPEN_MS },
      ejection: {
        consecutiveFailures: env.SUBGRAPH_EJECT_AFTER_FAILURES,
        baseMs: env.SUBGRAPH_EJECT_BASE_MS,
        maxMs: Math.max(env.SUBGRAPH_EJECT_BASE_MS, env.SUBGRAPH_EJECT_MAX_MS),
      },
      healthCheck: { intervalMs: env.SUBGRAPH_HEALTH_CHECK_INTERVAL_MS, timeoutMs: env.SUBGRAPH_HEALTH_CHECK_TIMEOUT_MS },
      dedupe: env.SUBGRAPH_DEDUPE,
    },
    dnsRefreshMs: env.SUBGRAPH_DNS_REFRESH_MS,
    ...overrides,
  };
}

/** The policy of the subgraph whose env name is `envName`. */
export function policyFor(config: UpstreamConfig, envName: string): UpstreamPolicy {
  return {
    ...config.defaults,
    balancer: config.balancers[envName] ?? config.defaults.balancer,
    timeoutMs: config.timeoutsMs[envName] ?? config.defaults.timeoutMs,
  };
}
