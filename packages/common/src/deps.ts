import pg from 'pg';
import { createRedisClient, parseRedisUrl, redactRedisUrl, type RedisClient } from './redis.js';

/** A dependency that does not answer; the message is one line that says how to start it. */
export class DependencyError extends Error {
  override name = 'DependencyError';
}

/** Hides the password of a URL before it is printed (a Sentinel URL's `?sentinelPassword=` too). */
export function redactUrl(url: string): string {
  // Several hosts and the -sentinel/-cluster schemes are beyond `new URL`.
  if (/^rediss?-(sentinel|cluster):\/\//.test(url)) return redactRedisUrl(url);
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

const describe = (error: unknown) =>
  ((error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error))).replace(/\s+/g, ' ');

/**
 * How long a dependency may take to answer at start-up. A server that is down refuses at once;
 * this only bounds one that is slow, such as a Postgres forking a backend on a machine whose
 * cores every other process is busy starting on (a 3 s bound failed `npm test` there).
 */
const ANSWER_TIMEOUT_MS = 10_000;

/** Connects to the server's maintenance database: the target database may not exist yet. */
export async function checkPostgres(url: string, timeoutMs = ANSWER_TIMEOUT_MS): Promise<void> {
  const target = new URL(url);
  target.pathname = '/postgres';
  const client = new pg.Client({ connectionString: target.toString(), connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new DependencyError(
      `Postgres at ${redactUrl(url)} does not answer (${describe(error)}). Start it: ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` for the local service, ' +
        'or `docker compose up -d postgres redis`.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Connects to what `url` names (one server, the master its sentinels name, or a cluster) and pings it. */
export async function checkRedis(url: string, timeoutMs = ANSWER_TIMEOUT_MS): Promise<void> {
  let redis: RedisClient | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let cause: Error | undefined;
  try {
    redis = createRedisClient(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    // The rejection often only says "Connection is closed."; an error event may say why (ECONNREFUSED,
    // or the server's reply, such as "cluster support disabled").
    redis.on('error', (error: Error & { lastNodeError?: Error }) => {
      cause = [error.lastNodeError, error].find((e) => e && ((e as { code?: string }).code || e.name === 'ReplyError')) ?? cause;
    });
    const client = redis;
    // A cluster whose ready check fails neither connects nor says so: the deadline answers for it.
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => reject(new Error(`no answer within ${2 * timeoutMs} ms`)), 2 * timeoutMs);
    });
    await Promise.race([client.connect().then(() => client.ping()), timedOut]);
  } catch (error) {
    throw new DependencyError(`Redis at ${redactUrl(url)} does not answer (${describe(cause ?? error)}). ${startHint(url)}`);
  } finally {
    clearTimeout(deadline);
    redis?.disconnect();
  }
}

function startHint(url: string): string {
  let kind: string;
  try {
    kind = parseRedisUrl(url).kind;
  } catch {
    return 'Check REDIS_URL.';
  }
  if (kind === 'sentinel') return 'Check that the sentinels listed answer and monitor that master name.';
  if (kind === 'cluster') return 'Check that the cluster nodes listed answer and the cluster is up (`redis-cli -p <port> cluster info`).';
  return 'Start it: `redis-server --daemonize yes` for the local service, or `docker compose up -d postgres redis`.';
}

/** Checks every dependency at once so one run names everything that is down. */
export async function assertDependencies(deps: { postgres?: string; redis?: string }): Promise<void> {
  const checks = [
    deps.postgres ? checkPostgres(deps.postgres) : undefined,
    deps.redis ? checkRedis(deps.redis) : undefined,
  ];
  const failures = (await Promise.allSettled(checks)).flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (failures.length > 0) {
    throw new DependencyError(failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n'));
  }
}
