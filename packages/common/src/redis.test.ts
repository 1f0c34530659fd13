import { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { redactUrl } from './deps.js';
import { baseEnv, ConfigError, parseEnv, redisEnv } from './env.js';
import { createRedisClient, hasHashTag, isRedisClusterUrl, parseRedisUrl, redisUrlProblem } from './redis.js';

describe('parseRedisUrl', () => {
  it('hands redis:// and rediss:// to ioredis as they are', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'server', url: 'redis://127.0.0.1:6379', tls: false });
    expect(parseRedisUrl('rediss://:secret@redis.example.com:6380/2')).toMatchObject({ kind: 'server', tls: true });
  });

  it('reads the sentinels, their default port 26379, the master name, the database and both passwords', () => {
    expect(parseRedisUrl('redis-sentinel://:p%40ss@sentinel-0,sentinel-1:26380,10.0.0.7/my%20master/3?sentinelPassword=s%26cret')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 'sentinel-0', port: 26379 },
        { host: 'sentinel-1', port: 26380 },
        { host: '10.0.0.7', port: 26379 },
      ],
      masterName: 'my master',
      db: 3,
      password: 'p@ss',
      sentinelPassword: 's&cret',
      tls: false,
    });
    expect(parseRedisUrl('rediss-sentinel://app:pw@[::1]:5000/mymaster')).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: '::1', port: 5000 }],
      masterName: 'mymaster',
      db: 0,
      username: 'app',
      password: 'pw',
      tls: true,
    });
  });

  it('reads the cluster nodes with their default port 6379, user, password and TLS', () => {
    expect(parseRedisUrl('redis-cluster://node-a:7000,node-b,node-c:7002')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'node-a', port: 7000 },
        { host: 'node-b', port: 6379 },
        { host: 'node-c', port: 7002 },
      ],
      tls: false,
    });
    expect(parseRedisUrl('rediss-cluster://default:pw@clustercfg.example.com/')).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'clustercfg.example.com', port: 6379 }],
      username: 'default',
      password: 'pw',
      tls: true,
    });
  });

  it('refuses malformed URLs, saying what is wrong', () => {
    const refusals: [string, RegExp][] = [
      ['http://redis:6379', /must be a redis:\/\/, rediss:\/\/, redis-sentinel:\/\/.*rediss-cluster:\/\/ URL/],
      ['not a url', /must be a redis:\/\//],
      ['redis-sentinel://sentinel:26379', /names the master after the hosts/],
      ['redis-sentinel://sentinel:26379/mymaster/x', /names the master after the hosts/],
      ['redis-sentinel:///mymaster', /needs at least one host/],
      ['redis-sentinel://a:26379,,b/mymaster', /"" in a redis-sentinel:\/\/ URL is not host or host:port/],
      ['redis-sentinel://a:70000/mymaster', /"a:70000" .* is not host or host:port/],
      ['redis-sentinel://a:port/mymaster', /"a:port" .* is not host or host:port/],
      ['redis-sentinel://a/mymaster?sentinelPasword=x', /takes only \?sentinelPassword=, not \?sentinelPasword=/],
      ['redis-cluster://a:7000/1', /has no path: a Redis Cluster has database 0 only/],
      ['redis-cluster://a:7000?tls=true', /takes no parameters, not \?tls=/],
      ['rediss-cluster://:%zz@a:7000', /password of a rediss-cluster:\/\/ URL is not valid percent-encoding/],
      ['redis-cluster://a:7000#x', /no #fragment/],
    ];
    for (const [url, message] of refusals) expect(redisUrlProblem(url), url).toMatch(message);
    expect(redisUrlProblem('redis-cluster://127.0.0.1:7000')).toBeUndefined();
  });

  it('tells cluster URLs apart', () => {
    expect(['redis-cluster://a', 'rediss-cluster://a', 'redis-sentinel://a/m', 'redis://a'].map(isRedisClusterUrl)).toEqual([true, true, false, false]);
  });
});

describe('hasHashTag', () => {
  it('holds when every key under the prefix hashes what is between its first { and the next }', () => {
    expect(['{shopgraph}', '{sg:cache:ab12}:', 'app:{x}:', '{a}{b}'].map(hasHashTag)).toEqual([true, true, true, true]);
    // "{}" hashes the whole key; a "}" after the prefix would put the tag's end in each key.
    expect(['sg:cache:', '{}:x', '{open:', 'x}{', ''].map(hasHashTag)).toEqual([false, false, false, false, false]);
  });
});

describe('redactUrl', () => {
  it('hides the passwords of sentinel and cluster URLs, the sentinels\' own included', () => {
    expect(redactUrl('redis-sentinel://app:s3cret@a:26379,b:26379/mymaster/1?sentinelPassword=other')).toBe(
      'redis-sentinel://app:***@a:26379,b:26379/mymaster/1?sentinelPassword=***',
    );
    expect(redactUrl('rediss-cluster://:s3cret@a:7000,b:7001')).toBe('rediss-cluster://:***@a:7000,b:7001');
    expect(redactUrl('redis-cluster://a:7000,b:7001')).toBe('redis-cluster://a:7000,b:7001');
    expect(redactUrl('redis://:s3cret@host:6379')).toBe('redis://:***@host:6379');
  });
});

describe('createRedisClient', () => {
  it('makes a Sentinel client of a sentinel URL, and puts each option where ioredis reads it on a cluster', () => {
    const retryStrategy = (times: number) => times * 10;
    const options = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: null, commandTimeout: 500, connectionName: 'test', retryStrategy };
    const sentinel = createRedisClient('rediss-sentinel://:pw@127.0.0.1:1/mymaster/2?sentinelPassword=sp', options);
    const cluster = createRedisClient('rediss-cluster://user:pw@127.0.0.1:1,127.0.0.1:2', options);
    const server = createRedisClient('redis://127.0.0.1:1/4', options);
    try {
      expect(sentinel).toBeInstanceOf(Redis);
      expect((sentinel as Redis).options).toMatchObject({
        sentinels: [{ host: '127.0.0.1', port: 1 }],
        name: 'mymaster',
        db: 2,
        password: 'pw',
        sentinelPassword: 'sp',
        enableTLSForSentinelMode: true,
        sentinelRetryStrategy: retryStrategy,
        retryStrategy,
        enableOfflineQueue: false,
        commandTimeout: 500,
      });
      expect(cluster).toBeInstanceOf(Cluster);
      expect((cluster as Cluster).options).toMatchObject({
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: retryStrategy,
        // BullMQ reads maxRetriesPerRequest here on a cluster.
        redisOptions: { maxRetriesPerRequest: null, commandTimeout: 500, connectionName: 'test', username: 'user', password: 'pw', tls: {} },
      });
      expect((cluster as Cluster).options.redisOptions).not.toHaveProperty('retryStrategy');
      expect((server as Redis).options).toMatchObject({ port: 1, db: 4, enableOfflineQueue: false, maxRetriesPerRequest: null });
    } finally {
      for (const client of [sentinel, cluster, server]) client.disconnect();
    }
  });
});

describe('REDIS_URL and the key prefixes in the environment', () => {
  const schema = baseEnv.extend({ ...redisEnv.shape, CACHE_KEY_PREFIX: z.string().optional(), QUEUE_PREFIX: z.string().optional() });

  it('accepts the six forms, and refuses anything else with the reason', () => {
    for (const url of ['redis://r:6379', 'rediss://r:6380', 'redis-sentinel://s/m', 'rediss-sentinel://s/m', 'redis-cluster://c', 'rediss-cluster://c']) {
      expect(parseEnv(schema, { REDIS_URL: url }).REDIS_URL).toBe(url);
    }
    expect(() => parseEnv(schema, { REDIS_URL: 'memcached://m:11211' })).toThrow(ConfigError);
    expect(() => parseEnv(schema, { REDIS_URL: 'memcached://m:11211' })).toThrow(/REDIS_URL: must be a redis:\/\/, rediss:\/\/, redis-sentinel:\/\//);
    expect(() => parseEnv(schema, { REDIS_URL: 'redis-sentinel://s:26379' })).toThrow(/REDIS_URL: a redis-sentinel:\/\/ URL names the master/);
  });

  it('refuses, on a cluster, a cache or queue prefix without a hash tag, naming each', () => {
    const attempt = () => parseEnv(schema, { REDIS_URL: 'redis-cluster://c:7000', CACHE_KEY_PREFIX: 'sg:cache:', QUEUE_PREFIX: 'bull', NODE_ENV: 'nope' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/NODE_ENV[\s\S]*CACHE_KEY_PREFIX: "sg:cache:" has no \{hash tag\}, which a Redis Cluster REDIS_URL needs .*e\.g\. "\{sg:cache\}:"/);
    expect(attempt).toThrow(/QUEUE_PREFIX: "bull" has no \{hash tag\}.*e\.g\. "\{bull\}"/);
    expect(parseEnv(schema, { REDIS_URL: 'redis-cluster://c:7000', CACHE_KEY_PREFIX: '{sg:cache}:', QUEUE_PREFIX: '{bull}' }).CACHE_KEY_PREFIX).toBe('{sg:cache}:');
    // One server, or a master found through Sentinel, holds every slot: any prefix works there.
    expect(parseEnv(schema, { REDIS_URL: 'redis-sentinel://s/m', CACHE_KEY_PREFIX: 'sg:cache:' }).CACHE_KEY_PREFIX).toBe('sg:cache:');
    expect(parseEnv(schema, { CACHE_KEY_PREFIX: 'sg:cache:' }).CACHE_KEY_PREFIX).toBe('sg:cache:');
  });
});
