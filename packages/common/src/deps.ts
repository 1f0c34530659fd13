import { Redis } from 'ioredis';
import pg from 'pg';

/** A dependency that does not answer; the message is one line that says how to start it. */
export class DependencyError extends Error {
  override name = 'DependencyError';
}

/** Hides the password of a URL before it is printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

const describe = (error: unknown) =>
  (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));

/** Connects to the server's maintenance database: the target database may not exist yet. */
export async function checkPostgres(url: string, timeoutMs = 3000): Promise<void> {
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

export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new DependencyError(
      `Redis at ${redactUrl(url)} does not answer (${describe(error)}). Start it: ` +
        '`redis-server --daemonize yes` for the local service, or `docker compose up -d postgres redis`.',
    );
  } finally {
    redis.disconnect();
  }
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
