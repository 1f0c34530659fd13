import { randomBytes } from 'node:crypto';
import { createLogger, type RedisClient } from '@shopgraph/common';
import { testRedisUrl } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCacheInvalidator } from './invalidator.js';
import { cacheKeys, entityTag, listTag, unidentifiedTag } from './keys.js';
import { InvalidationListener } from './listener.js';
import { createCacheConnection, parseInvalidationMessage, ResponseStore } from './store.js';
import { cachedResponse, missStart } from './test-entries.js';

const prefix = `sgtest:cache:${randomBytes(4).toString('hex')}:`;
const keys = cacheKeys(prefix);
const logger = createLogger('cache-test', 'silent');
let admin: Redis;
let reads: RedisClient;
let writes: RedisClient;
let store: ResponseStore;

beforeAll(async () => {
  admin = new Redis(testRedisUrl);
  reads = createCacheConnection(testRedisUrl, 'reads');
  writes = createCacheConnection(testRedisUrl, 'writes');
  store = new ResponseStore(reads, writes, keys);
  // The read connection fails rather than queue while it connects.
  if (reads.status !== 'ready') await new Promise((resolve) => reads.once('ready', resolve));
});

afterAll(async () => {
  const leftovers = await admin.keys(`${prefix}*`);
  if (leftovers.length > 0) await admin.unlink(...leftovers);
  reads.disconnect();
  writes.disconnect();
  admin.disconnect();
});

const begin = () => missStart(store);
/** How long to wait for something asynchronous before failing: generous, it never decides a pass. */
const PATIENCE = { timeout: 10_000, interval: 20 };

describe('ResponseStore', () => {
  it('gives back the exact bytes and headers it stored, with the epoch, in one lookup', async () => {
    const key = keys.entry('pub', 'exact');
    const body = '{"data":{"product":{"name":"Ünïcode \\n mug"}}}\n';
    expect(await store.store(key, cachedResponse(body, ['Product:100']), await begin())).toBeTypeOf('number');
    const { entries, epoch } = await store.lookup([key, keys.entry('pub', 'absent')]);
    expect(entries[0]!.body.toString()).toBe(body);
    expect(entries[0]!.headers).toEqual([['content-type', 'application/json; charset=utf-8'], ['cache-control', 'max-age=60, public']]);
    expect(entries[0]!.tags).toEqual(['Product:100']);
    expect(entries[1]).toBeNull();
    expect(epoch).toBeTypeOf('number');
  });

  it('expires an entry with its staleUntil', async () => {
    const key = keys.entry('pub', 'short');
    await store.store(key, cachedResponse('{}', ['Product:9'], 50), await begin());
    await vi.waitFor(async () => expect((await store.lookup([key])).entries[0]).toBeNull(), PATIENCE);
  });

  it('purges exactly the entries holding a tag, and entity purges reach unidentified entities of the type', async () => {
    const since = await begin();
    const one = keys.entry('pub', 'p1');
    const two = keys.entry('pub', 'p2');
    const list = keys.entry('pub', 'list');
    const anonymous = keys.entry('pub', 'unidentified');
    await store.store(one, cachedResponse('1', [entityTag('Product', '1')]), since);
    await store.store(two, cachedResponse('2', [entityTag('Product', '2')]), since);
    await store.store(list, cachedResponse('[1,2]', [entityTag('Product', '1'), entityTag('Product', '2'), listTag('products')]), since);
    await store.store(anonymous, cachedResponse('[?]', [unidentifiedTag('Product')]), since);

    const invalidation = await store.invalidate([entityTag('Product', '1')]);
    expect(invalidation.purged).toBe(3);
    expect(invalidation.tags).toEqual(['Product:1', 'Product:?']);
    const { entries } = await store.lookup([one, two, list, anonymous]);
    expect(entries.map((entry) => entry?.body.toString() ?? null)).toEqual([null, '2', null, null]);
  });

  it('refuses to store a response read before a purge of one of its tags', async () => {
    const since = await begin();
    // The write and its purge happen while the miss is executing…
    await store.invalidate([entityTag('Product', '7')]);
    // …so what it read may be the old value.
    expect(await store.store(keys.entry('pub', 'raced'), cachedResponse('old', [entityTag('Product', '7')]), since)).toBeNull();
    expect(await store.store(keys.entry('pub', 'unrelated'), cachedResponse('fine', [entityTag('Product', '8')]), since)).toBeTypeOf('number');
    expect(await store.store(keys.entry('pub', 'raced'), cachedResponse('new', [entityTag('Product', '7')]), await begin())).toBeTypeOf('number');
  });

  it('numbers purges in order and keeps tag indexes bounded by expiry', async () => {
    const first = await store.invalidate(['X:1']);
    const second = await store.invalidate(['X:2']);
    expect(second.epoch).toBe(first.epoch + 1);
    const since = await begin();
    await store.store(keys.entry('pub', 'brief'), cachedResponse('b', ['Brief:1'], 30), since);
    // Redis expires the entry at the same instant its member's score passes: wait for that, not for a clock.
    await vi.waitFor(async () => expect(await admin.exists(keys.entry('pub', 'brief'))).toBe(0), PATIENCE);
    await store.store(keys.entry('pub', 'later'), cachedResponse('l', ['Brief:1']), since);
    // The expired member was pruned when the next one was added.
    expect(await admin.zrange(keys.tag('Brief:1'), 0, -1)).toEqual([keys.entry('pub', 'later')]);
    expect(await admin.pttl(keys.tag('Brief:1'))).toBeGreaterThan(0);
  });

  it('lets one caller revalidate an entry at a time, until it hands its claim back', async () => {
    const key = keys.entry('pub', 'revalidated');
    const claim = await store.claimRevalidation(key, 60_000);
    expect(claim).toEqual(expect.any(String));
    expect(await store.claimRevalidation(key, 60_000)).toBeNull();
    // Only the holder's release counts: a late one from an expired claim leaves the new one alone.
    await store.releaseRevalidation(key, 'an-expired-claim');
    expect(await store.claimRevalidation(key, 60_000)).toBeNull();
    await store.releaseRevalidation(key, claim!);
    expect(await store.claimRevalidation(key, 60_000)).toEqual(expect.any(String));
  });
});

describe('invalidation messages', () => {
  it('parses what the purge script publishes, and nothing malformed', () => {
    expect(parseInvalidationMessage('12 ["Product:1","Product:?"]')).toEqual({ epoch: 12, tags: ['Product:1', 'Product:?'] });
    for (const bad of ['', '12', 'x ["a"]', '3 {"a":1}', '3 [1]', '3 [']) expect(parseInvalidationMessage(bad)).toBeNull();
  });
});

describe('createCacheInvalidator and InvalidationListener', () => {
  it('purges Redis for a worker and reaches every listening process in order', async () => {
    const received: string[][] = [];
    let resets = 0;
    const listener = new InvalidationListener({
      subscriber: createCacheConnection(testRedisUrl, 'subscriber'),
      store,
      logger,
      onInvalidate: (tags) => received.push(tags),
      onReset: () => resets++,
    });
    const invalidator = createCacheInvalidator(testRedisUrl, prefix);
    try {
      await vi.waitFor(async () => expect(listener.admits(await store.epoch())).toBe(true), PATIENCE);
      const resetsWhenSynced = resets;
      const key = keys.entry('pub', 'stock');
      await store.store(key, cachedResponse('{"stock":3}', [entityTag('Product', '42')]), await begin());

      expect(await invalidator.invalidateEntities([entityTag('Product', '42')])).toBe(1);
      expect((await store.lookup([key])).entries[0]).toBeNull();
      expect(await invalidator.invalidateEntities([])).toBe(0);
      await invalidator.invalidateEntities([listTag('products')]);
      await vi.waitFor(() => expect(received).toEqual([['Product:42', 'Product:?'], ['Query.products']]), PATIENCE);
      expect(resets).toBe(resetsWhenSynced);

      // Entries read before the last purge this process applied are kept out of the first level.
      const epoch = await store.epoch();
      expect(listener.admits(epoch)).toBe(true);
      expect(listener.admits(epoch - 1)).toBe(false);
      listener.appliedLocally(epoch + 1);
      expect(listener.admits(epoch)).toBe(false);
    } finally {
      await invalidator.close();
      await listener.close();
    }
  });

  it('resets the first level when it may have missed a purge', async () => {
    let resets = 0;
    const subscriber = createCacheConnection(testRedisUrl, 'subscriber');
    const listener = new InvalidationListener({ subscriber, store, logger, onInvalidate: () => undefined, onReset: () => resets++ });
    try {
      await vi.waitFor(async () => expect(listener.admits(await store.epoch())).toBe(true), PATIENCE);
      const before = resets;
      // A message that skips an epoch: one was lost.
      await admin.publish(keys.channel, `${(await store.epoch()) + 5} ["Gap:1"]`);
      await vi.waitFor(() => expect(resets).toBe(before + 1), PATIENCE);
      // A dropped connection: nothing may be served from memory until it is back and resynchronised.
      subscriber.disconnect(true);
      await vi.waitFor(() => expect(resets).toBeGreaterThan(before + 1), PATIENCE);
      await vi.waitFor(async () => expect(listener.admits(await store.epoch())).toBe(true), PATIENCE);
    } finally {
      await listener.close();
    }
  });
});
