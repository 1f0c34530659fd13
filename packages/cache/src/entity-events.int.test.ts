import { randomBytes } from 'node:crypto';
import { testRedisUrl } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createEntityEventPublisher, entityEventsChannel, parseEntityEvent, type EntityEvent } from './entity-events.js';
import { cacheKeys, entityTag } from './keys.js';
import { createCacheConnection, parseInvalidationMessage, ResponseStore } from './store.js';
import { cachedResponse, missStart } from './test-entries.js';

const prefix = `sgtest:events:${randomBytes(4).toString('hex')}:`;
const admin = new Redis(testRedisUrl);
const subscriber = new Redis(testRedisUrl);
const publisher = createEntityEventPublisher(testRedisUrl, prefix);

afterAll(async () => {
  const leftovers = await admin.keys(`${prefix}*`);
  if (leftovers.length > 0) await admin.unlink(...leftovers);
  await publisher.close();
  subscriber.disconnect();
  admin.disconnect();
});

describe('entity events', () => {
  it('publishes each entity with a version that rises per entity, even within one microsecond', async () => {
    const received: EntityEvent[] = [];
    subscriber.on('message', (_channel: string, message: string) => {
      const event = parseEntityEvent(message);
      if (event) received.push(event);
    });
    await subscriber.subscribe(entityEventsChannel(prefix));
    const before = Date.now();
    for (let i = 0; i < 20; i++) await publisher.publish([{ typename: 'Order', id: 'o-1' }, { typename: 'Product', id: 'p-1' }]);
    // Within the test's own time, so that a run short of (or past) 40 says how many came.
    await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(40), { timeout: 20_000, interval: 20 }).catch(() => undefined);
    expect(received).toHaveLength(40);
    for (const key of ['Order:o-1', 'Product:p-1']) {
      const versions = received.filter((event) => `${event.typename}:${event.id}` === key).map((event) => event.version);
      expect(versions).toHaveLength(20);
      expect(versions.every((version, index) => index === 0 || version > versions[index - 1]!)).toBe(true);
    }
    expect(received.every((event) => event.at >= before && event.at <= Date.now())).toBe(true);
  });

  it('publishes every entity of a call in one round trip, by the script\'s SHA, an entity named twice with two rising versions', async () => {
    // MONITOR lists every command in the order Redis ran it, and tells of them later: a GET of a
    // fence key, once seen, marks that every command before it has been told.
    const monitor = await admin.monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.startsWith(prefix))) seen.push(args);
    });
    const fence = `${prefix}fence`;
    const isFence = (args: string[]) => args[0]?.toLowerCase() === 'get' && args[1] === fence;
    const told = async () => {
      await admin.get(fence);
      await vi.waitFor(() => expect(seen.some(isFence)).toBe(true), { timeout: 30_000, interval: 20 });
    };
    const received: EntityEvent[] = [];
    const listener = new Redis(testRedisUrl);
    listener.on('message', (_channel: string, message: string) => {
      const event = parseEntityEvent(message);
      if (event) received.push(event);
    });
    await listener.subscribe(entityEventsChannel(prefix));
    try {
      const entities = [
        { typename: 'Product', id: 'p-2' },
        { typename: 'Order', id: 'o-2' },
        { typename: 'Product', id: 'p-2' },
        { typename: 'Product', id: 'p-3' },
      ];
      await publisher.publish(entities); // the first call may load the script (EVALSHA, then EVAL)
      await told();
      seen.length = 0;
      await publisher.publish(entities);
      await told();
      const calls = seen.filter((args) => !isFence(args));
      // Commands a script runs show in MONITOR too, after the script's own line, which is the only one sent.
      expect(calls[0]?.[0]?.toLowerCase()).toBe('evalsha');
      expect(calls.filter((args) => ['evalsha', 'eval'].includes(args[0]!.toLowerCase()))).toHaveLength(1);
      await vi.waitFor(() => expect(received).toHaveLength(8), { timeout: 30_000, interval: 20 });
      expect(received.map(({ typename, id }) => `${typename}:${id}`)).toEqual([...Array(2)].flatMap(() => entities.map(({ typename, id }) => `${typename}:${id}`)));
      const versions = received.filter((event) => event.id === 'p-2').map((event) => event.version);
      expect(versions.every((version, index) => index === 0 || version > versions[index - 1]!)).toBe(true);
    } finally {
      monitor.disconnect();
      listener.disconnect();
    }
  });

  it('purges the tags it is given before it publishes, in the same single script call', async () => {
    const keys = cacheKeys(prefix);
    const connection = createCacheConnection(testRedisUrl, 'writes');
    const store = new ResponseStore(connection, connection, keys);
    const listener = new Redis(testRedisUrl);
    // One connection for both channels: the order of its messages is the order Redis published them.
    const heard: string[] = [];
    listener.on('message', (channel: string, message: string) => {
      if (channel === keys.channel) heard.push(`purge ${parseInvalidationMessage(message)!.tags.join(',')}`);
      const event = parseEntityEvent(message);
      if (channel === entityEventsChannel(prefix) && event) heard.push(`event ${event.typename}:${event.id}`);
    });
    await listener.subscribe(keys.channel, entityEventsChannel(prefix));
    try {
      const since = await missStart(store);
      const [order, other] = [keys.entry('u:1', 'orders-page'), keys.entry('u:2', 'orders-page')];
      await store.store(order, cachedResponse('mine', [entityTag('Order', 'o-9')]), since);
      await store.store(other, cachedResponse('theirs', [entityTag('Order', 'o-8')]), since);
      const epoch = await store.epoch();

      await publisher.publish([{ typename: 'Order', id: 'o-9' }], [entityTag('Order', 'o-9')]);

      const { entries } = await store.lookup([order, other]);
      expect(entries.map((entry) => entry?.body.toString() ?? null)).toEqual([null, 'theirs']);
      expect(await store.epoch()).toBe(epoch + 1);
      // A miss that began before it may not keep what it read.
      expect(await store.store(order, cachedResponse('old', [entityTag('Order', 'o-9')]), since)).toBeNull();
      await vi.waitFor(() => expect(heard).toHaveLength(2), { timeout: 30_000, interval: 20 });
      expect(heard).toEqual(['purge Order:o-9,Order:?', 'event Order:o-9']);
    } finally {
      listener.disconnect();
      connection.disconnect();
    }
  });

  it('reads only well-formed messages', () => {
    expect(parseEntityEvent('Order o-1 1700000000000001 1700000000000')).toEqual({ typename: 'Order', id: 'o-1', version: 1700000000000001, at: 1700000000000 });
    expect(parseEntityEvent('Order o-1 x 1')).toBeNull();
    expect(parseEntityEvent('Order o-1 1 1 extra')).toBeNull();
    expect(parseEntityEvent('')).toBeNull();
  });
});
