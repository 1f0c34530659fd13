import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * A connection made from `REDIS_URL`: one server (given directly or found through Sentinel), or
 * a Redis Cluster. Both run the same commands; multi-key commands and scripts work on a cluster
 * only when all their keys share a hash tag (`{…}`).
 */
export type RedisClient = Redis | Cluster;

export interface RedisEndpoint {
  host: string;
  port: number;
}

/** What a `REDIS_URL` names. */
export type RedisTarget =
  /** `redis://` or `rediss://`: handed to ioredis as it is. */
  | { kind: 'server'; url: string; tls: boolean }
  | {
      kind: 'sentinel';
      sentinels: RedisEndpoint[];
      /** The name the sentinels monitor the master under. */
      masterName: string;
      db: number;
      username?: string;
      /** The data nodes' password. */
      password?: string;
      /** The sentinels' own password (`?sentinelPassword=`), when they require one. */
      sentinelPassword?: string;
      /** TLS to the master and replicas (`rediss-sentinel://`); the sentinels are spoken to in clear. */
      tls: boolean;
    }
  | { kind: 'cluster'; nodes: RedisEndpoint[]; username?: string; password?: string; tls: boolean };

export const REDIS_URL_FORMS =
  'redis://, rediss://, redis-sentinel://, rediss-sentinel://, redis-cluster:// or rediss-cluster://';

const DEFAULT_PORT = { server: 6379, sentinel: 26379, cluster: 6379 } as const;

/** A `REDIS_URL` that cannot be used; the message says what is wrong with it. */
export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

const MULTI_HOST = /^(rediss?)-(sentinel|cluster):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/;

/**
 * Parses a `REDIS_URL`:
 *
 * - `redis://[[user]:password@]host[:port][/db]`, `rediss://…` (TLS): one server
 * - `redis-sentinel://[[user]:password@]host[:port][,host[:port]…]/<masterName>[/<db>][?sentinelPassword=…]`
 *   (port 26379 by default), `rediss-sentinel://…` for TLS to the data nodes
 * - `redis-cluster://[[user]:password@]host[:port][,host[:port]…]` (port 6379 by default),
 *   `rediss-cluster://…` for TLS: any nodes of the cluster, the rest are discovered
 *
 * User, password and master name are percent-decoded. Throws `RedisUrlError` otherwise.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const multi = MULTI_HOST.exec(url);
  if (!multi) return parseServerUrl(url);
  const [, scheme, kindName, authority = '', path = '', query, fragment] = multi;
  const kind = kindName as 'sentinel' | 'cluster';
  const form = `${scheme}-${kind}://`;
  if (fragment) throw new RedisUrlError(`a ${form} URL takes no #fragment`);
  const at = authority.lastIndexOf('@');
  const credentials = at < 0 ? {} : parseUserInfo(authority.slice(0, at), form);
  const endpoints = parseEndpoints(authority.slice(at + 1), DEFAULT_PORT[kind], form);
  const parameters = parseQuery(query, kind === 'sentinel' ? ['sentinelPassword'] : [], form);
  const tls = scheme === 'rediss';

  if (kind === 'cluster') {
    if (path !== '' && path !== '/') {
      throw new RedisUrlError(`a ${form} URL has no path: a Redis Cluster has database 0 only, and no name`);
    }
    return { kind, nodes: endpoints, ...credentials, tls };
  }
  const route = /^\/([^/]+)(?:\/(\d+))?\/?$/.exec(path);
  if (!route) {
    throw new RedisUrlError(`a ${form} URL names the master after the hosts: ${form}host:26379/mymaster[/db]`);
  }
  const masterName = decode(route[1]!, 'the master name', form);
  return {
    kind,
    sentinels: endpoints,
    masterName,
    db: route[2] === undefined ? 0 : Number(route[2]),
    ...credentials,
    ...(parameters.sentinelPassword !== undefined ? { sentinelPassword: parameters.sentinelPassword } : {}),
    tls,
  };
}

function parseServerUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError(`must be a ${REDIS_URL_FORMS} URL`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new RedisUrlError(`must be a ${REDIS_URL_FORMS} URL`);
  return { kind: 'server', url, tls: parsed.protocol === 'rediss:' };
}

function decode(value: string, what: string, form: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new RedisUrlError(`${what} of a ${form} URL is not valid percent-encoding`);
  }
}

/** `user:password`, `:password` or `user`, as ioredis reads the user info of a redis:// URL. */
function parseUserInfo(userInfo: string, form: string): { username?: string; password?: string } {
  const colon = userInfo.indexOf(':');
  const username = decode(colon < 0 ? userInfo : userInfo.slice(0, colon), 'the user', form);
  const password = colon < 0 ? '' : decode(userInfo.slice(colon + 1), 'the password', form);
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/;

function parseEndpoints(hosts: string, defaultPort: number, form: string): RedisEndpoint[] {
  if (hosts === '') throw new RedisUrlError(`a ${form} URL needs at least one host: ${form}host:${defaultPort}[,host:${defaultPort}…]`);
  return hosts.split(',').map((item) => {
    const match = HOST_PORT.exec(item);
    const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
    if (!match || port < 1 || port > 65535) throw new RedisUrlError(`"${item}" in a ${form} URL is not host or host:port`);
    return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
  });
}

function parseQuery(query: string | undefined, allowed: string[], form: string): Record<string, string> {
  const parameters = new URLSearchParams(query ?? '');
  const values: Record<string, string> = {};
  for (const [name, value] of parameters) {
    if (!allowed.includes(name)) {
      const accepted = allowed.length > 0 ? `only ${allowed.map((a) => `?${a}=`).join(', ')}` : 'no parameters';
      throw new RedisUrlError(`a ${form} URL takes ${accepted}, not ?${name}=`);
    }
    values[name] = value;
  }
  return values;
}

/** Why `url` is not a usable `REDIS_URL`, or undefined when it is. */
export function redisUrlProblem(url: string): string | undefined {
  try {
    parseRedisUrl(url);
    return undefined;
  } catch (error) {
    if (error instanceof RedisUrlError) return error.message;
    throw error;
  }
}

/** True for `redis-cluster://` and `rediss-cluster://` URLs. */
export const isRedisClusterUrl = (url: string) => /^rediss?-cluster:\/\//.test(url);

/**
 * True when every key starting with `prefix` hashes to one Redis Cluster slot: the prefix holds
 * the key's first `{`, then a `}` after at least one character (Redis hashes only what is between).
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  return open >= 0 && prefix.indexOf('}', open + 1) > open + 1;
}

/** Hides the passwords of a sentinel or cluster URL (which `new URL` cannot parse): user info and `?sentinelPassword=`. */
export function redactRedisUrl(url: string): string {
  const match = /^([a-z][\w+.-]*:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!match) return url;
  const [, scheme, authority = '', rest = ''] = match;
  const at = authority.lastIndexOf('@');
  let redacted = authority;
  if (at >= 0) {
    const userInfo = authority.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon >= 0) redacted = `${userInfo.slice(0, colon)}:***${authority.slice(at)}`;
  }
  return `${scheme}${redacted}${rest.replace(/([?&]sentinelPassword=)[^&#]*/gi, '$1***')}`;
}

/**
 * The command timeout of a connection a request waits on (sessions, nonces, rate limits): a Redis
 * that is away refuses at once, so this bounds only one that accepts but does not answer. One
 * second refused good requests on a loaded machine (SESSIONS_UNAVAILABLE in the bench report test
 * in CI), where a process left unscheduled that long saw its timer fire before it read the reply
 * waiting in its socket.
 */
export const REQUEST_REDIS_COMMAND_TIMEOUT_MS = 5000;

/**
 * How one connection behaves, whatever the URL names. On a cluster these go where ioredis wants
 * them: `retryStrategy` becomes `clusterRetryStrategy` (reconnecting once every node is lost),
 * `enableOfflineQueue` and `lazyConnect` apply to the cluster, the rest to each node's connection.
 */
export interface RedisClientOptions {
  /** Shown by `CLIENT LIST` on the server(s). */
  connectionName?: string;
  /** Connect on the first command or `connect()`, not at once. */
  lazyConnect?: boolean;
  connectTimeout?: number;
  /** A command without a reply after this many milliseconds fails. */
  commandTimeout?: number;
  /** Reconnections a command waits through before failing; null waits forever (BullMQ workers). */
  maxRetriesPerRequest?: number | null;
  /** false: commands fail at once while disconnected, instead of waiting for the connection. */
  enableOfflineQueue?: boolean;
  /**
   * Milliseconds to wait before reconnection attempt `times`, or null to stop. Through Sentinel it
   * also paces the rounds of asking the sentinels for the master while none answers.
   */
  retryStrategy?: (times: number) => number | null;
  /**
   * Renew subscriptions after a reconnect (ioredis's default, true). A cluster always renews them
   * on the node it moves its subscriber to, so this only applies to one server.
   */
  autoResubscribe?: boolean;
  /**
   * Send the commands issued in one turn of the event loop in one write (ioredis batches them
   * until `setImmediate`). A server answering many requests at once then pays one syscall for
   * all their commands instead of one each, for at most a turn of the loop in latency.
   * Only for a connection whose commands are all Redis's own: a Lua command defined on it
   * (`defineCommand`) after ioredis opened the turn's pipeline is missing from that pipeline, and
   * its replies then throw outside any promise, ending the process (ioredis issue #1931; seen
   * here as a gateway that died at the first burst of mutations).
   */
  enableAutoPipelining?: boolean;
}

const defined = <T extends object>(value: T) =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * Connects to what `url` names (see `parseRedisUrl`): `new Redis(url)` for one server,
 * `new Redis({ sentinels, name })` through Sentinel (ioredis asks the sentinels for the master
 * again at every reconnect, so a failover is ridden out), `new Cluster(nodes)` for a cluster.
 * Throws `RedisUrlError` for a URL it cannot use (the env schemas refuse those first).
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  const { retryStrategy, enableOfflineQueue, lazyConnect, connectionName, connectTimeout, commandTimeout, maxRetriesPerRequest, enableAutoPipelining } = options;
  switch (target.kind) {
    case 'server':
      return new Redis(url, defined(options) as RedisOptions);
    case 'sentinel': {
      const sentinelOptions: RedisOptions = {
        sentinels: target.sentinels,
        name: target.masterName,
        db: target.db,
        username: target.username,
        password: target.password,
        sentinelPassword: target.sentinelPassword,
        // ioredis's name for "TLS to the master and replicas found through the sentinels".
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
        ...(retryStrategy !== undefined ? { sentinelRetryStrategy: retryStrategy } : {}),
      };
      return new Redis({ ...defined(sentinelOptions), ...(defined(options) as RedisOptions) });
    }
    case 'cluster': {
      const clusterOptions: ClusterOptions = {
        lazyConnect,
        enableOfflineQueue,
        enableAutoPipelining,
        clusterRetryStrategy: retryStrategy,
        redisOptions: defined({
          connectionName,
          connectTimeout,
          commandTimeout,
          maxRetriesPerRequest,
          username: target.username,
          password: target.password,
          tls: target.tls ? {} : undefined,
        }),
        // With TLS the nodes are dialled by the name given, so that it matches their certificate
        // (ioredis's advice for managed clusters such as ElastiCache).
        dnsLookup: target.tls ? (address, callback) => callback(null, address) : undefined,
      };
      return new Cluster(target.nodes, defined(clusterOptions));
    }
  }
}

/**
 * Listens to a connection's errors and logs each outage once: a warning at its first error, a
 * line when the connection is ready again. ioredis reconnects by itself (`retryStrategy`);
 * without an `'error'` listener it would print every failed attempt as an unhandled error.
 */
export function reportRedisOutages(client: RedisClient, logger: Pick<Logger, 'warn' | 'info'>, what: string): void {
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error }, `Redis (${what}) unreachable: reconnecting`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info(`Redis (${what}) reachable again`);
  });
}
