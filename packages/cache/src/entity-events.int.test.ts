import { randomBytes } from 'node:crypto';
import { testRedisUrl } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createEntityEventPublisher, entityEventsChannel, parseEntityEvent, type EntityEvent } from './entity-events.js';

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
    await vi.waitFor(() => expect(received).toHaveLength(40), { timeout: 30_000, interval: 20 });
    for (const key of ['Order:o-1', 'Product:p-1']) {
      const versions = received.filter((event) => `${event.typename}:${event.id}` === key).map((event) => event.version);
      expect(versions).toHaveLength(20);
      expect(versions.every((version, index) => index === 0 || version > versions[index - 1]!)).toBe(true);
    }
    expect(received.every((event) => event.at >= before && event.at <= Date.now())).toBe(true);
  });

  it('reads only well-formed messages', () => {
    expect(parseEntityEvent('Order o-1 1700000000000001 1700000000000')).toEqual({ typename: 'Order', id: 'o-1', version: 1700000000000001, at: 1700000000000 });
    expect(parseEntityEvent('Order o-1 x 1')).toBeNull();
    expect(parseEntityEvent('Order o-1 1 1 extra')).toBeNull();
    expect(parseEntityEvent('')).toBeNull();
  });
});
