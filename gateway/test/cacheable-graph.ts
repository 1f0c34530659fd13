import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@shopgraph/common';
import { createSubgraphServer, type RequestBase, type RunningServer } from '@shopgraph/common/subgraph';
import { createTestNonceStore, TEST_GATEWAY_SECRET, TEST_JWT_SECRET, testRedisUrl } from '@shopgraph/testing';
import { parse } from 'graphql';
import { composeSupergraph, UNREACHABLE_URL } from './test-graph.js';

/**
 * A small shop whose subgraphs give `@cacheControl` hints, for the caches' tests: "catalog" owns
 * PUBLIC products (stock for less long), "accounts" PRIVATE users with a field whose value depends
 * on who asks, "shop" uncached orders that point at both. Each subgraph counts its `_entities`
 * calls and the representations they carried.
 */

const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';
const cacheControl = `
  enum CacheControlScope { PUBLIC PRIVATE }
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION`;

const catalogSdl = (withNickname: boolean) => `${federation}${cacheControl}
  type Product @key(fields: "id") @cacheControl(maxAge: 30) {
    id: ID!
    name: String!
    price: Int!
    stock: Int! @cacheControl(maxAge: 5)
    ${withNickname ? 'nickname: String' : ''}
  }
  type Query { product(id: ID!): Product }
  type Mutation { setPrice(id: ID!, price: Int!): Product! }`;

const accountsSdl = `${federation}${cacheControl}
  type User @key(fields: "id") @cacheControl(maxAge: 60, scope: PRIVATE) {
    id: ID!
    name: String!
    "Depends on the viewer: what must never reach another user."
    note: String!
  }
  type Query { me: User }`;

const shopSdl = `${federation}
  type Product @key(fields: "id", resolvable: false) { id: ID! }
  "Resolved here too, with no cache hint: what the shop says of a user is never kept."
  type User @key(fields: "id") { id: ID!, orderCount: Int! }
  type Item { product: Product!, quantity: Int! }
  type Order @key(fields: "id") { id: ID!, buyer: User!, items: [Item!]! }
  type Query { "The viewer's orders." orders: [Order!]! }`;

export interface EntityCalls {
  /** `_entities` calls received. */
  calls: number;
  /** Representations those calls carried. */
  representations: number;
}

export interface CacheableGraph {
  /** Products by id: change them to change what catalog answers (then purge, as a write would). */
  products: Map<string, { name: string; price: number; stock: number }>;
  catalog: EntityCalls;
  accounts: EntityCalls;
  /** Env for a gateway on this graph: test secrets, silent logs, the supergraph in a temp file, cache keys under `prefix`. */
  gatewayEnv(prefix: string, extra?: Record<string, string>): Record<string, string>;
  /** Writes this graph's supergraph to `path`; without `nickname`, `Product.nickname` is left out. */
  writeSupergraph(path: string, options?: { withNickname?: boolean }): void;
  /** A fresh temporary file path for a supergraph. */
  supergraphPath(name: string): string;
  close(): Promise<void>;
}

/** Product ids of the orders every viewer has: two orders, four items, three distinct products. */
export const ORDER_PRODUCTS = [['p1', 'p2'], ['p2', 'p3']] as const;

const logger = createLogger('cacheable-subgraph', 'silent');

/** Counts `_entities` calls and their representations, from the bodies the subgraph receives. */
function countEntityCalls(running: RunningServer, counts: EntityCalls) {
  running.httpServer.prependListener('request', (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { query?: string; variables?: { representations?: unknown[] } };
        if (!body.query?.includes('_entities')) return;
        counts.calls += 1;
        counts.representations += body.variables?.representations?.length ?? 0;
      } catch {
        // Not a GraphQL body (a health check): not counted.
      }
    });
  });
}

async function start(name: string, typeDefs: string, resolvers: object): Promise<{ running: RunningServer; url: string }> {
  const nonces = createTestNonceStore();
  const running = await createSubgraphServer<RequestBase>({
    name,
    typeDefs: parse(typeDefs),
    resolvers: resolvers as never,
    logger,
    gatewaySecret: TEST_GATEWAY_SECRET,
    nonces,
    production: false,
    checks: {},
    context: (base) => base,
    onClose: () => nonces.close(),
  });
  return { running, url: await running.listen(0, '127.0.0.1') };
}

export async function startCacheableGraph(): Promise<CacheableGraph> {
  const products = new Map([
    ['p1', { name: 'Kettle', price: 2500, stock: 4 }],
    ['p2', { name: 'Teapot', price: 1800, stock: 9 }],
    ['p3', { name: 'Cups', price: 900, stock: 30 }],
  ]);
  const productOf = (id: string) => {
    const product = products.get(id);
    return product ? { id, ...product, nickname: `the ${product.name.toLowerCase()}` } : null;
  };
  const catalog = await start('catalog', catalogSdl(true), {
    Query: { product: (_: unknown, { id }: { id: string }) => productOf(id) },
    Mutation: {
      setPrice: (_: unknown, { id, price }: { id: string; price: number }) => {
        products.get(id)!.price = price;
        return productOf(id);
      },
    },
    Product: { __resolveReference: ({ id }: { id: string }) => productOf(id) },
  });
  const accounts = await start('accounts', accountsSdl, {
    Query: { me: (_: unknown, __: unknown, ctx: RequestBase) => (ctx.viewer ? { id: ctx.viewer.id } : null) },
    User: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      name: ({ id }: { id: string }) => `User ${id}`,
      note: (_: unknown, __: unknown, ctx: RequestBase) => `for ${ctx.viewer?.id ?? 'nobody'}`,
    },
  });
  const shop = await start('shop', shopSdl, {
    User: { __resolveReference: ({ id }: { id: string }) => ({ id, orderCount: ORDER_PRODUCTS.length }) },
    Query: {
      orders: (_: unknown, __: unknown, ctx: RequestBase) =>
        ctx.viewer
          ? ORDER_PRODUCTS.map((ids, n) => ({
              id: `${ctx.viewer!.id}-o${n}`,
              buyer: { id: ctx.viewer!.id },
              items: ids.map((id) => ({ product: { id }, quantity: 1 })),
            }))
          : [],
    },
  });
  const counts = { catalog: { calls: 0, representations: 0 }, accounts: { calls: 0, representations: 0 } };
  countEntityCalls(catalog.running, counts.catalog);
  countEntityCalls(accounts.running, counts.accounts);

  const directory = mkdtempSync(join(tmpdir(), 'shopgraph-cacheable-'));
  const defaultSupergraph = join(directory, 'supergraph.graphql');
  const writeSupergraph: CacheableGraph['writeSupergraph'] = (path, { withNickname = true } = {}) => {
    writeFileSync(
      path,
      composeSupergraph([
        { name: 'catalog', url: UNREACHABLE_URL, typeDefs: parse(catalogSdl(withNickname)) },
        { name: 'accounts', url: UNREACHABLE_URL, typeDefs: parse(accountsSdl) },
        { name: 'shop', url: UNREACHABLE_URL, typeDefs: parse(shopSdl) },
      ]),
    );
  };
  writeSupergraph(defaultSupergraph);
  let files = 0;

  return {
    products,
    catalog: counts.catalog,
    accounts: counts.accounts,
    gatewayEnv: (prefix, extra = {}) => ({
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      JWT_SECRET: TEST_JWT_SECRET,
      GATEWAY_SECRET: TEST_GATEWAY_SECRET,
      REDIS_URL: testRedisUrl,
      SUPERGRAPH_PATH: defaultSupergraph,
      SUBGRAPH_URL_CATALOG: catalog.url,
      SUBGRAPH_URL_ACCOUNTS: accounts.url,
      SUBGRAPH_URL_SHOP: shop.url,
      CACHE_KEY_PREFIX: prefix,
      SESSION_REDIS_PREFIX: `${prefix}sessions:`,
      APQ_REDIS_PREFIX: `${prefix}apq:`,
      ...extra,
    }),
    writeSupergraph,
    supergraphPath: (name) => join(directory, `${name}-${++files}.graphql`),
    async close() {
      await Promise.all([catalog.running.close(), accounts.running.close(), shop.running.close()]);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
