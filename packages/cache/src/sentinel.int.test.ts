import { randomBytes } from 'node:crypto';
import { createLogger, type RedisClient } from '@shopgraph/common';
import { startRedisSentinel, type TestRedisSentinel } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCacheInvalidator } from './invalidator.js';
import { cacheKeys, defaultCacheKeyPrefix, entityTag } from './keys.js';
import { InvalidationListener } from './listener.js';
import { createCacheConnection, ResponseStore } from './store.js';
import { cachedResponse, missStart } from './test-entries.js';

const prefix = defaultCacheKeyPrefix(`postgres://cache-sentinel-test/${randomBytes(4).toString('hex')}`);
const keys = cacheKeys(prefix);
const logger = createLogger('cache-sentinel-test', 'silent');
let sentinel: TestRedisSentinel;
let reads: RedisClient;
let writes: RedisClient;
let store: ResponseStore;
let listener: InvalidationListener;
const received: string[][] = [];

beforeAll(async () => {
  sentinel = await startRedisSentinel();
  reads = createCacheConnection(sentinel.url, 'reads');
  writes = createCacheConnection(sentinel.url, 'writes');
  store = new ResponseStore(reads, writes, keys);
  const subscriber = createCacheConnection(sentinel.url, 'subscriber');
  // The failover refuses connections for a while: expected here, as in the gateway (which logs them).
  for (const connection of [reads, writes, subscriber]) connection.on('error', () => undefined);
  listener = new InvalidationListener({
    subscriber,
    store,
    logger,
    onInvalidate: (tags) => received.push(tags),
    onReset: () => undefined,
  });
  if (reads.status !== 'ready') await new Promise((resolve) => reads.once('ready', resolve));
});

afterAll(async () => {
  await listener?.close();
  reads?.disconnect();
  writes?.disconnect();
  await sentinel?.stop();
});

const begin = () => missStart(store);
const bodies = async (entryKeys: string[]) => (await store.lookup(entryKeys)).entries.map((entry) => entry?.body.toString() ?? null);

/** The port of the server a connection made through the sentinel is on. */
const serverPort = async (client: RedisClient) => Number(/tcp_port:(\d+)/.exec(await client.info('server'))?.[1]);

describe('the response cache through Redis Sentinel', () => {
  it('stores, looks up and purges on the master the sentinel names, and the listener hears each purge', async () => {
    expect(writes).toBeInstanceOf(Redis);
    expect(await serverPort(writes)).toBe(sentinel.masterPort);
    await vi.waitFor(async () => expect(listener.admits(await store.epoch())).toBe(true), { timeout: 10_000, interval: 20 });
    const since = await begin();
    const one = keys.entry('pub', 'p1');
    const two = keys.entry('pub', 'p2');
    await store.store(one, cachedResponse('1', [entityTag('Product', '1')]), since);
    await store.store(two, cachedResponse('2', [entityTag('Product', '2')]), since);
    expect(await bodies([one, two])).toEqual(['1', '2']);

    expect((await store.invalidate([entityTag('Product', '1')])).purged).toBe(1);
    expect(await bodies([one, two])).toEqual([null, '2']);
    await vi.waitFor(() => expect(received).toEqual([['Product:1', 'Product:?']]), { timeout: 10_000, interval: 10 });
  });

  it('rides out a failover: once the sentinel promotes the replica, the same connections store, look up and purge there', { timeout: 90_000 }, async () => {
    const kept = keys.entry('pub', 'before-failover');
    await store.store(kept, cachedResponse('kept', [entityTag('Product', '3')]), await begin());
    // Replicated before the crash, so the promoted replica has it.
    expect(await (writes as Redis).wait(1, 5000)).toBe(1);

    await sentinel.killMaster();
    expect(await sentinel.waitForFailover(45_000)).toBe(sentinel.replicaPort);

    const after = keys.entry('pub', 'after-failover');
    await vi.waitFor(
      async () => {
        try {
          expect(await store.store(after, cachedResponse('after', [entityTag('Product', '4')]), await begin())).toBeTypeOf('number');
          expect(await bodies([kept, after])).toEqual(['kept', 'after']);
        } catch (error) {
          throw new Error(`the cache still fails through the sentinel 30 s after the failover: ${(error as Error).message}`);
        }
      },
      { timeout: 30_000, interval: 250 },
    );
    expect(await serverPort(reads)).toBe(sentinel.replicaPort);
    expect(await serverPort(writes)).toBe(sentinel.replicaPort);

    // The listener resubscribed on the new master: a worker's purge reaches it.
    const invalidator = createCacheInvalidator(sentinel.url, prefix);
    try {
      await vi.waitFor(async () => expect(listener.admits(await store.epoch())).toBe(true), { timeout: 20_000, interval: 50 });
      expect(await invalidator.invalidateEntities([entityTag('Product', '4')])).toBe(1);
      expect(await bodies([kept, after])).toEqual(['kept', null]);
      await vi.waitFor(() => expect(received.at(-1)).toEqual(['Product:4', 'Product:?']), { timeout: 10_000, interval: 10 });
    } finally {
      await invalidator.close();
    }
  });
});
