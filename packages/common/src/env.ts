import { z } from 'zod';
import { DEV_ADMIN_PASSWORD, DEV_GATEWAY_SECRET, DEV_JWT_SECRET, DEV_PAYMENT_PROVIDER_KEY, isPublishedSecret, weakPasswordProblem } from './known-secrets.js';
import { hasHashTag, isRedisClusterUrl, redisUrlProblem } from './redis.js';

export * from './known-secrets.js';

/** Configuration that is wrong or missing; the process prints the message (every problem) and exits. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const urlWith = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a ${protocols.join(' or ')}// URL`);

/** A Postgres connection URL, for a process's own `<NAME>_DATABASE_URL` beside DATABASE_URL. */
export const postgresUrlSchema = urlWith(['postgres:', 'postgresql:']);

/** One server, a Sentinel-watched master or a Cluster (see `parseRedisUrl`), each message saying what is wrong. */
const redisUrlSchema = z.string().superRefine((value, context) => {
  const problem = redisUrlProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

const secretSchema = z.string().min(32, 'must be at least 32 characters');

/*
 * One zod model per concern (contract README, "Configuration every process honours"). A process's
 * env.ts spreads the shapes of the concerns it uses, and only those, into its schema: a process
 * is never asked for a setting it does not read.
 */

/** Every process: its mode and how much it logs. */
export const baseEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/**
 * Processes that listen: on loopback only unless `HOST` opens them (the container image and
 * compose set `HOST=0.0.0.0`).
 */
export const listenEnv = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
});

/** Processes that connect to Postgres. */
export const postgresEnv = z.object({
  DATABASE_URL: postgresUrlSchema.default('postgres://postgres@127.0.0.1:5432/shopgraph'),
});

/** Processes that connect to Redis. */
export const redisEnv = z.object({
  REDIS_URL: redisUrlSchema.default('redis://127.0.0.1:6379'),
});

/** Processes that issue or verify bearer tokens. The development secret outside production only. */
export const jwtEnv = z.object({
  JWT_SECRET: secretSchema.default(DEV_JWT_SECRET),
});

/** The gateway and the subgraphs: signs every gateway → subgraph request. The development secret outside production only. */
export const gatewaySecretEnv = z.object({
  GATEWAY_SECRET: secretSchema.default(DEV_GATEWAY_SECRET),
});

/**
 * The payment provider's secret API key: the simulator requires it on every API request, payments
 * and the workers (who call the provider) send it as `Authorization: Bearer <key>`. The
 * development key outside production only.
 */
export const paymentProviderKeyEnv = z.object({
  PAYMENT_PROVIDER_KEY: secretSchema.default(DEV_PAYMENT_PROVIDER_KEY),
});

/** The admin account (the users subgraph ensures it; the queue dashboard asks for it). */
export const adminEnv = z.object({
  ADMIN_EMAIL: z.email().default('admin@shopgraph.local'),
  ADMIN_PASSWORD: z.string().min(8).default(DEV_ADMIN_PASSWORD),
});

/** The subgraphs' DataLoaders. */
export const dataloaderEnv = z.object({
  /** `false` makes every DataLoader load one key per statement: the N+1 baseline the benchmark compares with. */
  DATALOADER_BATCH: z.stringbool().default(true),
});

/**
 * Key prefixes under which multi-key Lua scripts run (the response cache's, BullMQ's): on a Redis
 * Cluster every key of one such namespace must hash to one slot, so the prefix must hold a
 * `{hash tag}`. Checked by `parseEnv` for any process whose schema reads them.
 */
export const HASH_TAGGED_ON_CLUSTER = ['CACHE_KEY_PREFIX', 'QUEUE_PREFIX'] as const;

/**
 * Parses `schema` from `source` once and lists every problem at the same time, one line each —
 * the production rules of `productionProblems` included. Each process's `env.ts` calls this;
 * nothing else reads `process.env`.
 */
export function parseEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.output<S> {
  // An empty variable means "not set": `FOO= npm start` must not turn into an invalid value.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(cleaned);
  const lines = result.success ? [] : result.error.issues.map((issue) => `  - ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, unknown>) : {};
  lines.push(...clusterKeyProblems(shape, cleaned, lines));
  lines.push(...productionProblems(shape, cleaned, lines));
  if (lines.length > 0) throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  return result.data as z.output<S>;
}

const alreadyReported = (reported: string[], name: string) => reported.some((line) => line.startsWith(`  - ${name}:`));

/** The hash-tag rule of `HASH_TAGGED_ON_CLUSTER`, for the prefixes `shape` reads and no other check refused already. */
function clusterKeyProblems(shape: Record<string, unknown>, source: Record<string, string | undefined>, reported: string[]): string[] {
  const url = source.REDIS_URL;
  if (!('REDIS_URL' in shape) || !url || !isRedisClusterUrl(url)) return [];
  return HASH_TAGGED_ON_CLUSTER.flatMap((name) => {
    const prefix = source[name];
    if (!(name in shape) || prefix === undefined || hasHashTag(prefix)) return [];
    if (alreadyReported(reported, name)) return [];
    const tag = `{${prefix.replace(/[{}]/g, '').replace(/:+$/, '') || 'shopgraph'}}`;
    const example = name === 'QUEUE_PREFIX' ? tag : `${tag}:`;
    return [`  - ${name}: "${prefix}" has no {hash tag}, which a Redis Cluster REDIS_URL needs (every key of the namespace in one slot): e.g. "${example}"`];
  });
}

const SECRETS = ['JWT_SECRET', 'GATEWAY_SECRET', 'PAYMENT_PROVIDER_KEY'] as const;

/**
 * Under NODE_ENV=production, for the settings `shape` reads: a secret must be set and must not be
 * one this repository publishes; the two secrets must differ; the admin password must be set and
 * not weak (`weakPasswordProblem`).
 */
function productionProblems(shape: Record<string, unknown>, source: Record<string, string | undefined>, reported: string[]): string[] {
  if (source.NODE_ENV !== 'production') return [];
  const problems: [name: string, problem: string][] = [];
  for (const name of SECRETS) {
    if (!(name in shape)) continue;
    const value = source[name];
    if (value === undefined) problems.push([name, 'required when NODE_ENV=production (generate one: openssl rand -hex 32)']);
    else if (isPublishedSecret(value)) {
      problems.push([name, "a development secret published in Shopgraph's source, refused when NODE_ENV=production (generate one: openssl rand -hex 32)"]);
    }
  }
  if (['JWT_SECRET', 'GATEWAY_SECRET'].every((name) => name in shape) && source.JWT_SECRET !== undefined && source.JWT_SECRET === source.GATEWAY_SECRET) {
    problems.push(['GATEWAY_SECRET', 'must differ from JWT_SECRET']);
  }
  if ('ADMIN_PASSWORD' in shape) {
    const password = source.ADMIN_PASSWORD;
    const problem = password === undefined ? 'required when NODE_ENV=production' : weakPasswordProblem(password);
    if (problem) problems.push(['ADMIN_PASSWORD', password === undefined ? problem : `${problem}, refused when NODE_ENV=production`]);
  }
  return problems.filter(([name]) => !alreadyReported(reported, name)).map(([name, problem]) => `  - ${name}: ${problem}`);
}

/** What every process's configuration holds. */
export interface BaseConfig {
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: string;
  /** Development defaults in use: they work, but must not reach production; each process logs them at start. */
  warnings: string[];
}

/**
 * The mode, the log level and a warning for each development default `env` uses (production
 * refused them already in `parseEnv`).
 */
export function toBaseConfig(env: z.output<typeof baseEnv> & Record<string, unknown>): BaseConfig {
  const warnings: string[] = [];
  if (env.JWT_SECRET === DEV_JWT_SECRET) warnings.push('JWT_SECRET is the development secret: set your own before anyone else can reach this platform.');
  if (env.GATEWAY_SECRET === DEV_GATEWAY_SECRET) warnings.push('GATEWAY_SECRET is the development secret: set your own before anyone else can reach this platform.');
  if (env.PAYMENT_PROVIDER_KEY === DEV_PAYMENT_PROVIDER_KEY) {
    warnings.push('PAYMENT_PROVIDER_KEY is the development key: set your own before anyone else can reach this platform.');
  }
  if (env.ADMIN_PASSWORD === DEV_ADMIN_PASSWORD) warnings.push('ADMIN_PASSWORD is the default: change it before anyone else can reach this platform.');
  return { nodeEnv: env.NODE_ENV, logLevel: env.LOG_LEVEL, warnings };
}

/** The admin account from `adminEnv`; emails compare lower-cased. */
export function toAdminConfig(env: z.output<typeof adminEnv>): { email: string; password: string } {
  return { email: env.ADMIN_EMAIL.toLowerCase(), password: env.ADMIN_PASSWORD };
}

/** A TCP port from the environment; 0 asks the OS for a free one (tests). */
export const portSchema = z.coerce.number().int().min(0).max(65535);
