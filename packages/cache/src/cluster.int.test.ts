import { randomBytes } from 'node:crypto';
import { createLogger, type RedisClient } from '@shopgraph/common';
import { startRedisCluster, type TestRedisCluster } from '@shopgraph/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCacheInvalidator } from './invalidator.js';
import { cacheKeys, defaultCacheKeyPrefix, entityTag, listTag } from './keys.js';
import { InvalidationListener } from './listener.js';
import { createCacheConnection, ResponseStore } from './store.js';
import { cachedResponse, missStart } from './test-entries.js';

// The default prefix's form (`{sg:cache:<hash>}:`), made unique to this file.
const prefix = defaultCacheKeyPrefix(`postgres://cache-cluster-test/${randomBytes(4).toString('hex')}`);
const keys = cacheKeys(prefix);
const logger = createLogger('cache-cluster-test', 'silent');
let cluster: TestRedisCluster;
let reads: RedisClient;
let writes: RedisClient;
let store: ResponseStore;

beforeAll(async () => {
  cluster = await startRedisCluster();
  reads = createCacheConnection(cluster.url, 'reads');
  writes = createCacheConnection(cluster.url, 'writes');
  store = new ResponseStore(reads, writes, keys);
  // The read connection fails rather than queue while it connects.
  if (reads.status !== 'ready') await new Promise((resolve) => reads.once('ready', resolve));
});

afterAll(async () => {
  reads?.disconnect();
  writes?.disconnect();
  await cluster?.stop();
});

const begin = () => missStart(store);

/** Every key under the prefix, by the master holding it. */
async function keysByMaster(): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const master of (writes as Cluster).nodes('master')) {
    const held = await master.keys(`${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
    if (held.length > 0) found.set(`${master.options.host}:${master.options.port}`, held);
  }
  return found;
}

describe('the response cache on a Redis Cluster', () => {
  it('stores, looks up and purges exactly the tagged entries, every key of the namespace on one master, in one slot', async () => {
    expect(writes).toBeInstanceOf(Cluster);
    const since = await begin();
    const one = keys.entry('pub', 'p1');
    const two = keys.entry('pub', 'p2');
    const list = keys.entry('pub', 'list');
    expect(await store.store(one, cachedResponse('1', [entityTag('Product', '1')]), since)).toBeTypeOf('number');
    expect(await store.store(two, cachedResponse('2', [entityTag('Product', '2')]), since)).toBeTypeOf('number');
    expect(await store.store(list, cachedResponse('[1,2]', [entityTag('Product', '1'), entityTag('Product', '2'), listTag('products')]), since)).toBeTypeOf('number');
    expect((await store.lookup([one, two, list])).entries.map((entry) => entry?.body.toString() ?? null)).toEqual(['1', '2', '[1,2]']);

    const invalidation = await store.invalidate([entityTag('Product', '1')]);
    expect(invalidation.purged).toBe(2);
    expect((await store.lookup([one, two, list])).entries.map((entry) => entry?.body.toString() ?? null)).toEqual([null, '2', null]);
    expect(await store.claimRevalidation(two, 1000)).toEqual(expect.any(String));

    const byMaster = await keysByMaster();
    expect([...byMaster.keys()]).toHaveLength(1);
    const held = [...byMaster.values()][0]!;
    // Entry, tag sets, purge markers, epoch, revalidation lock: every kind of key the cache writes.
    expect(held).toEqual(expect.arrayContaining([two, keys.tag('Product:2'), keys.invalidatedAt('Product:1'), keys.epoch, keys.revalidation(two)]));
    const slots = await Promise.all(held.map((key) => writes.cluster('KEYSLOT', key)));
    expect(new Set(slots).size).toBe(1);
  });

  it('tells a listener on a connection of its own of every purge, in order, wherever it is subscribed', async () => {
    const received: string[][] = [];
    const listener = new InvalidationListener({
      subscriber: createCacheConnection(cluster.url, 'subscriber'),
      store,
      logger,
      onInvalidate: (tags) => received.push(tags),
      onReset: () => undefined,
    });
    const invalidator = createCacheInvalidator(cluster.url, prefix);
    try {
      await vi.waitFor(async () => expect(listener.admits(await store.epoch())).toBe(true), { timeout: 10_000, interval: 20 });
      const key = keys.entry('pub', 'stock');
      await store.store(key, cachedResponse('{"stock":3}', [entityTag('Product', '42')]), await begin());

      expect(await invalidator.invalidateEntities([entityTag('Product', '42')])).toBe(1);
      expect((await store.lookup([key])).entries[0]).toBeNull();
      await invalidator.invalidateEntities([listTag('products')]);
      await vi.waitFor(() => expect(received).toEqual([['Product:42', 'Product:?'], ['Query.products']]), { timeout: 10_000, interval: 10 });
    } finally {
      await invalidator.close();
      await listener.close();
    }
  });
});
