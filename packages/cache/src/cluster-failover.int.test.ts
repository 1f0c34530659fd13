import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@shopgraph/common';
import { startRedisCluster, type TestRedisCluster } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKeys, defaultCacheKeyPrefix, entityTag } from './keys.js';
import { createCacheConnection, ResponseStore } from './store.js';
import { cachedResponse, missStart } from './test-entries.js';

// The default prefix's form (`{sg:cache:<hash>}:`), made unique to this file.
const prefix = defaultCacheKeyPrefix(`postgres://cache-cluster-failover-test/${randomBytes(4).toString('hex')}`);
const keys = cacheKeys(prefix);
let cluster: TestRedisCluster;
let reads: RedisClient;
let writes: RedisClient;
let store: ResponseStore;

beforeAll(async () => {
  cluster = await startRedisCluster(3, { replicas: 1 });
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

const bodies = async (entryKeys: string[]) => (await store.lookup(entryKeys)).entries.map((entry) => entry?.body.toString() ?? null);

describe('the response cache on a Redis Cluster whose master fails over', () => {
  it('reads what it stored before, stores and purges after, on the promoted replica', async () => {
    const before = keys.entry('pub', 'before');
    const purged = keys.entry('pub', 'purged');
    let since = await missStart(store);
    await store.store(before, cachedResponse('"before"', [entityTag('Product', '1')]), since);
    await store.store(purged, cachedResponse('"purged"', [entityTag('Product', '2')]), since);

    // Every key of the cache lives in the prefix's slot: fail over the master serving it.
    const slot = Number(await writes.cluster('KEYSLOT', keys.epoch));
    const oldMaster = await cluster.masterOf(slot);
    const newMaster = await cluster.failOver(oldMaster);
    expect(await cluster.masterOf(slot)).toBe(newMaster);
    expect(newMaster).not.toBe(oldMaster);

    // The same connections follow the slot to its new master: nothing stored was lost.
    expect(await bodies([before, purged])).toEqual(['"before"', '"purged"']);
    const after = keys.entry('pub', 'after');
    since = await missStart(store);
    expect(await store.store(after, cachedResponse('"after"', [entityTag('Product', '3')]), since)).toBeTypeOf('number');
    expect((await store.invalidate([entityTag('Product', '2')])).purged).toBe(1);
    expect(await bodies([before, purged, after])).toEqual(['"before"', null, '"after"']);
  });
});
