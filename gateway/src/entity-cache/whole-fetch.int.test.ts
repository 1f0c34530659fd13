import { randomBytes } from 'node:crypto';
import { removeKeysWithPrefix, testRedisUrl } from '@shopgraph/testing';
import { buildSchema } from 'graphql';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SupergraphVersion } from '../response-cache/supergraph-version.js';
import { EntityCache } from './entity-cache.js';
import { EntityLevels } from './entity-levels.js';
import { createEntityCacheMetrics } from './entity-metrics.js';

/*
 * A fetch answered whole from the first level is kept whole there, so the same page read again
 * is one lookup: it must stay as coherent as its entities — dropped by a purge of any of them,
 * PRIVATE ones the viewer's only, every position a fresh object.
 */

const prefix = `sgtest:entity-whole-fetch:${randomBytes(4).toString('hex')}:`;
const sdl = 'type Query { product: Product } type Product { id: ID! name: String } type User { id: ID! note: String }';
const metrics = createEntityCacheMetrics(new Registry());
const levels = new EntityLevels({ redisUrl: testRedisUrl, keyPrefix: prefix, l1Enabled: true, l1Policy: 'lru', l1MaxEntries: 100, metrics, logger: pino({ level: 'silent' }) });
const supergraph = new SupergraphVersion();
supergraph.loaded(sdl);
const cache = new EntityCache({ levels, config: { maxTtlS: 60, rules: {} }, metrics, supergraph, envNameOf: (subgraph) => subgraph.toUpperCase() });
cache.schemaLoaded(buildSchema(sdl));

afterAll(async () => {
  await levels.close();
  await removeKeysWithPrefix(testRedisUrl, prefix);
});

const PRODUCTS = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}';
const USERS = 'query($representations:[_Any!]!){_entities(representations:$representations){...on User{note}}}';
const names = new Map([['1', 'Kettle'], ['2', 'Teapot']]);

/** Reads `ids` through the cache as `viewer`: the values, the representations the subgraph was asked for, and the first-level hits. */
async function read(query: string, ids: string[], viewer: string | null) {
  const asked: string[] = [];
  const typename = query === USERS ? 'User' : 'Product';
  const { response, report } = await cache.resolve(
    { subgraph: typename === 'User' ? 'accounts' : 'catalog', query, variables: { representations: ids.map((id) => ({ __typename: typename, id })) }, viewer: viewer ? { id: viewer, role: 'CUSTOMER' } : null },
    async (representations) => {
      asked.push(...representations.map((representation) => String(representation.id)));
      const entities = representations.map(({ id }) => (typename === 'User' ? { note: `${String(id)} for ${viewer}` } : { name: names.get(String(id)) }));
      return { response: { data: { _entities: entities } }, hint: { maxAge: 60, scope: typename === 'User' ? ('PRIVATE' as const) : ('PUBLIC' as const) } };
    },
    () => undefined,
  );
  return { values: response.data!._entities as Record<string, string>[], asked, l1: report.hits.l1 };
}

describe('a fetch answered whole from the first level', () => {
  it('is answered again at once, a fresh object at every position, and dropped with any entity of it that is purged', async () => {
    // Stored, then found in process once the invalidation listener admits entries there.
    await vi.waitFor(async () => expect((await read(PRODUCTS, ['1', '2', '1'], null)).l1).toBe(3), { timeout: 30_000, interval: 20 });
    const again = await read(PRODUCTS, ['1', '2', '1'], null);
    expect(again).toEqual({ values: [{ name: 'Kettle' }, { name: 'Teapot' }, { name: 'Kettle' }], asked: [], l1: 3 });
    expect(again.values[0]).not.toBe(again.values[2]);
    again.values[0]!.name = 'changed by the query plan';
    expect((await read(PRODUCTS, ['1', '2', '1'], null)).values[0]).toEqual({ name: 'Kettle' });

    // A write to Product:2: its purge drops it from Redis and from this process (as Purges does).
    names.set('2', 'Teapot, new');
    await levels.store.invalidate(['Product:2']);
    levels.dropFromFirstLevel(['Product:2', 'Product:?']);
    expect(await read(PRODUCTS, ['1', '2', '1'], null)).toEqual({ values: [{ name: 'Kettle' }, { name: 'Teapot, new' }, { name: 'Kettle' }], asked: ['2'], l1: 2 });
  });

  it('keeps a fetch with a PRIVATE entity for its viewer only', async () => {
    await vi.waitFor(async () => expect((await read(USERS, ['7', '7'], 'alice')).l1).toBe(2), { timeout: 30_000, interval: 20 });
    expect(await read(USERS, ['7', '7'], 'alice')).toEqual({ values: [{ note: '7 for alice' }, { note: '7 for alice' }], asked: [], l1: 2 });
    expect(await read(USERS, ['7', '7'], 'bob')).toEqual({ values: [{ note: '7 for bob' }, { note: '7 for bob' }], asked: ['7'], l1: 0 });
  });
});
