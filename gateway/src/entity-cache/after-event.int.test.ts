import { randomBytes } from 'node:crypto';
import { removeKeysWithPrefix, testRedisUrl } from '@shopgraph/testing';
import { buildSchema } from 'graphql';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SupergraphVersion } from '../response-cache/supergraph-version.js';
import { EntityCache, type EntityFetch } from './entity-cache.js';
import { EntityLevels } from './entity-levels.js';
import { createEntityCacheMetrics } from './entity-metrics.js';

/*
 * A subscription's read after an entity event takes what Redis holds, not the first level: the
 * purge before the event reaches this process's first level on another connection, perhaps
 * after the event. Here that message never comes: the entry is gone from Redis (as a purge
 * leaves it) while the first level still holds it.
 */

const prefix = `sgtest:entity-after-event:${randomBytes(4).toString('hex')}:`;
const metrics = createEntityCacheMetrics(new Registry());
const levels = new EntityLevels({ redisUrl: testRedisUrl, keyPrefix: prefix, l1Enabled: true, l1Policy: 'lru', l1MaxEntries: 100, metrics, logger: pino({ level: 'silent' }) });
const supergraph = new SupergraphVersion();
supergraph.loaded('type Query { product: Product } type Product { id: ID! name: String }');
const cache = new EntityCache({ levels, config: { maxTtlS: 60, rules: {} }, metrics, supergraph, envNameOf: (subgraph) => subgraph.toUpperCase() });
cache.schemaLoaded(buildSchema('type Query { product: Product } type Product { id: ID! name: String }'));

afterAll(async () => {
  await levels.close();
  await removeKeysWithPrefix(testRedisUrl, prefix);
});

const fetchOf = (afterEvent: boolean): EntityFetch => ({
  subgraph: 'products',
  query: 'query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}',
  variables: { representations: [{ __typename: 'Product', id: '42' }] },
  viewer: null,
  afterEvent,
});

/** Reads Product:42, the subgraph answering `name`: what the read shows and whether the subgraph was asked. */
async function read(afterEvent: boolean, name: string) {
  let asked = false;
  const { response, report } = await cache.resolve(
    fetchOf(afterEvent),
    async (representations) => {
      asked = true;
      return { response: { data: { _entities: representations.map(() => ({ __typename: 'Product', name })) } }, hint: { maxAge: 60, scope: 'PUBLIC' as const } };
    },
    () => undefined,
  );
  return { name: (response.data!._entities as { name: string }[])[0]!.name, asked, l1: report.hits.l1 };
}

describe('a read after an entity event', () => {
  it('skips the first level, which may not have heard of the purge yet', async () => {
    // Stored, then found in process once the connections are up and the invalidation listener admits entries there.
    await vi.waitFor(async () => expect((await read(false, 'old')).l1).toBe(1), { timeout: 30_000, interval: 20 });
    // The purge cleared Redis; its message has not reached this process.
    await removeKeysWithPrefix(testRedisUrl, prefix);
    expect(await read(false, 'new')).toEqual({ name: 'old', asked: false, l1: 1 });
    expect(await read(true, 'new')).toEqual({ name: 'new', asked: true, l1: 0 });
  });
});
