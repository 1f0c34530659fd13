import { z } from 'zod';
import { hasHashTag, isRedisClusterUrl, redisUrlProblem } from './redis.js';

/** Configuration that is wrong or missing; the process prints the message (every problem) and exits. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEV_JWT_SECRET = 'shopgraph-development-jwt-secret-do-not-use-in-production';
const DEV_GATEWAY_SECRET = 'shopgraph-development-gateway-secret-do-not-use-in-production';

const urlWith = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a ${protocols.join(' or ')}// URL`);

/** One server, a Sentinel-watched master or a Cluster (see `parseRedisUrl`), each message saying what is wrong. */
const redisUrlSchema = z.string().superRefine((value, context) => {
  const problem = redisUrlProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/**
 * Key prefixes under which multi-key Lua scripts run (the response cache's, BullMQ's): on a Redis
 * Cluster every key of one such namespace must hash to one slot, so the prefix must hold a
 * `{hash tag}`. Checked by `parseEnv` for any process whose schema reads them.
 */
export const HASH_TAGGED_ON_CLUSTER = ['CACHE_KEY_PREFIX', 'QUEUE_PREFIX'] as const;

/** Settings every process honours (contract README, "Configuration every process honours"). */
export const platformEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: urlWith(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/shopgraph'),
  REDIS_URL: redisUrlSchema.default('redis://127.0.0.1:6379'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Shared by the gateway and the subgraphs: signs every gateway → subgraph request. */
  GATEWAY_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ADMIN_EMAIL: z.email().default('admin@shopgraph.local'),
  ADMIN_PASSWORD: z.string().min(8).default('admin-password'),
  /** `false` makes every DataLoader load one key per statement: the N+1 baseline the benchmark compares with. */
  DATALOADER_BATCH: z.stringbool().default(true),
});

export interface PlatformConfig {
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: string;
  databaseUrl: string;
  /** One server, a master found through Sentinel or a Cluster: connect with `createRedisClient`. */
  redisUrl: string;
  jwtSecret: string;
  gatewaySecret: string;
  admin: { email: string; password: string };
  /** Whether the subgraphs' DataLoaders batch keys (always, except for the benchmark's baseline). */
  dataloaderBatch: boolean;
  /** Things that work but should not reach production; each process logs them at start. */
  warnings: string[];
}

/**
 * Parses `schema` from `source` once and lists every problem at the same time.
 * Each process's `env.ts` calls this; nothing else reads `process.env`.
 */
export function parseEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.output<S> {
  // An empty variable means "not set": `FOO= npm start` must not turn into an invalid value.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(cleaned);
  const lines = result.success ? [] : result.error.issues.map((issue) => `  - ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  lines.push(...clusterKeyProblems(schema, cleaned, lines));
  if (lines.length > 0) throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  return result.data as z.output<S>;
}

/** The hash-tag rule of `HASH_TAGGED_ON_CLUSTER`, for the prefixes `schema` reads and no other check refused already. */
function clusterKeyProblems(schema: z.ZodType, source: Record<string, string | undefined>, reported: string[]): string[] {
  const url = source.REDIS_URL;
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, unknown>) : {};
  if (!('REDIS_URL' in shape) || !url || !isRedisClusterUrl(url)) return [];
  return HASH_TAGGED_ON_CLUSTER.flatMap((name) => {
    const prefix = source[name];
    if (!(name in shape) || prefix === undefined || hasHashTag(prefix)) return [];
    if (reported.some((line) => line.startsWith(`  - ${name}:`))) return [];
    const tag = `{${prefix.replace(/[{}]/g, '').replace(/:+$/, '') || 'shopgraph'}}`;
    const example = name === 'QUEUE_PREFIX' ? tag : `${tag}:`;
    return [`  - ${name}: "${prefix}" has no {hash tag}, which a Redis Cluster REDIS_URL needs (every key of the namespace in one slot): e.g. "${example}"`];
  });
}

/** Resolves development defaults for secrets, refusing them in production. */
export function toPlatformConfig(env: z.output<typeof platformEnvSchema>): PlatformConfig {
  const production = env.NODE_ENV === 'production';
  const warnings: string[] = [];
  const missing: string[] = [];
  const secret = (name: 'JWT_SECRET' | 'GATEWAY_SECRET', value: string | undefined, fallback: string) => {
    if (value) return value;
    if (production) missing.push(`  - ${name}: required when NODE_ENV=production`);
    else warnings.push(`${name} is not set: using the development secret.`);
    return fallback;
  };
  const jwtSecret = secret('JWT_SECRET', env.JWT_SECRET, DEV_JWT_SECRET);
  const gatewaySecret = secret('GATEWAY_SECRET', env.GATEWAY_SECRET, DEV_GATEWAY_SECRET);
  if (env.ADMIN_PASSWORD === 'admin-password') {
    if (production) missing.push('  - ADMIN_PASSWORD: the default admin password is refused when NODE_ENV=production');
    else warnings.push('ADMIN_PASSWORD is the default: change it before anyone else can reach this platform.');
  }
  if (missing.length > 0) throw new ConfigError(`Invalid configuration:\n${missing.join('\n')}`);
  return {
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    jwtSecret,
    gatewaySecret,
    admin: { email: env.ADMIN_EMAIL.toLowerCase(), password: env.ADMIN_PASSWORD },
    dataloaderBatch: env.DATALOADER_BATCH,
    warnings,
  };
}

/** A TCP port from the environment; 0 asks the OS for a free one (tests). */
export const portSchema = z.coerce.number().int().min(0).max(65535);
