import { hash } from 'node:crypto';
import { listTag, typeTag, unidentifiedTag, userScope } from '@shopgraph/cache';
import type { Viewer } from '@shopgraph/common';
import { Kind, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { SupergraphVersion } from '../response-cache/supergraph-version.js';
import { entitiesOf } from '../response-cache/response-entities.js';
import type { SubgraphCacheHint } from '../upstream/subgraph-response.js';
import { ruleFor, type EntityCacheConfig } from './entity-cache-env.js';
import type { FetchedEntities, GatewayGraphQLResponse } from './entity-cache.js';
import type { EntityEntry, EntityLevels } from './entity-levels.js';
import type { EntityCacheMetrics } from './entity-metrics.js';
import { remainingMaxAgeS } from './remaining-max-age.js';

/** A root-field fetch of a query plan (`product(id:)`, `products(first:)`), as its data source is asked for it. */
export interface RootFetch {
  subgraph: string;
  query: string;
  variables: Record<string, unknown> | undefined;
  viewer: Viewer | null;
  /** Read past the first level: see `GatewayContext.afterEvent`. */
  afterEvent?: boolean;
}

/** What one root fetch found (the debugging extension lists these beside the entity fetches'). */
export interface RootFetchReport {
  subgraph: string;
  /** The root fields it selected. */
  root: string[];
  /** `l1`/`l2`: answered from that level; `miss`: fetched, and kept if allowed; `uncacheable`: fetched as it was, without a lookup. */
  found: 'l1' | 'l2' | 'miss' | 'uncacheable';
}

export interface RootFetchCacheOptions {
  levels: EntityLevels;
  config: Pick<EntityCacheConfig, 'maxTtlS' | 'rules'>;
  metrics: EntityCacheMetrics;
  supergraph: SupergraphVersion;
  envNameOf(subgraph: string): string;
}

/** A fetch's operation read once: what its key and tags are made of. */
interface RootShape {
  digest: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  fields: string[];
  /** Its last clean answer might not be kept (no hint, or PRIVATE for no viewer): sent without a lookup until one may. */
  unhinted: boolean;
}

/** Root fetches remembered per subgraph at most (as shapes, or as never cacheable); past it, the memory starts again. */
const MAX_SHAPES = 10_000;

/**
 * Root fields marked cacheable: a query's fetch of root fields from a subgraph (`product(id:)`,
 * `products(first:, after:)`, `orders(first:)`) whose answer the subgraph's cache-control lets
 * be kept — every type and field it resolved has a `@cacheControl` hint — is kept in the entity
 * cache's levels under (supergraph version, subgraph, the fetch's operation, its variables) and
 * the scope: a PUBLIC answer is shared by every viewer, a PRIVATE one (`orders`, `me`) kept for
 * its viewer only, never for an anonymous one. One without a hint (`order(id:)`) is never kept.
 * Tags are a cached response's (`response-cache/cache-decision.ts`): the entities it holds
 * (`Product:42`, also a lookup answered with null), `Product:?` for one whose id it does not
 * show, the types present, and `Query.products` / `Query.orders` for a list root — so a write's
 * purge (the entities of a mutation's result and its rule's list tags, a worker's `Product:42`
 * or `Order:7`) deletes it before the write answers. The rules apply as to entities:
 * `Query=off` (or seconds) for a subgraph's root fields, and each entity type the answer holds
 * must be on.
 */
export class RootFetchCache {
  private schema: GraphQLSchema | undefined;
  /** By subgraph, then operation text (the plan's own string: its hash is computed once); null when it is never cached. */
  private readonly shapes = new Map<string, Map<string, RootShape | null>>();

  constructor(private readonly options: RootFetchCacheOptions) {}

  schemaLoaded(schema: GraphQLSchema): void {
    this.schema = schema;
    this.shapes.clear();
  }

  /** Answers `fetch` from the cache, or by `send` (keeping the answer if it may be); `restrict` narrows the operation's cache policy by a cached answer. */
  async resolve(
    fetch: RootFetch,
    send: () => Promise<FetchedEntities>,
    restrict: (hint: SubgraphCacheHint) => void,
  ): Promise<{ response: GatewayGraphQLResponse; report?: RootFetchReport }> {
    const shape = this.shapeOf(fetch.subgraph, fetch.query);
    if (!shape) return { response: (await send()).response };
    const { levels, metrics } = this.options;
    const report: RootFetchReport = { subgraph: fetch.subgraph, root: shape.fields, found: 'uncacheable' };
    if (shape.unhinted) {
      const fetched = await send();
      if (scopeToKeep(fetched.hint, fetch.viewer)) shape.unhinted = false;
      metrics.rootFetches.inc({ subgraph: fetch.subgraph, found: 'uncacheable' });
      return { response: fetched.response, report };
    }
    const version = this.options.supergraph.current;
    const digest = `${shape.digest}:${JSON.stringify(fetch.variables ?? {})}`;
    const keys = {
      PUBLIC: levels.keys.entry(`ent~${version}~pub`, digest),
      PRIVATE: fetch.viewer ? levels.keys.entry(`ent~${version}~${userScope(fetch.viewer.id)}`, digest) : undefined,
    };
    const now = Date.now();
    let entry = fetch.afterEvent ? undefined : (levels.firstLevel(keys.PUBLIC, now) ?? (keys.PRIVATE ? levels.firstLevel(keys.PRIVATE, now) : undefined));
    let since = null;
    report.found = 'l1';
    if (!entry) {
      const lookup = await levels.secondLevel(keys.PRIVATE ? [keys.PUBLIC, keys.PRIVATE] : [keys.PUBLIC]);
      since = lookup.since;
      entry = lookup.found.get(keys.PUBLIC) ?? (keys.PRIVATE ? lookup.found.get(keys.PRIVATE) : undefined);
      report.found = 'l2';
    }
    if (entry) {
      metrics.rootFetches.inc({ subgraph: fetch.subgraph, found: report.found });
      restrict({ maxAge: remainingMaxAgeS(entry.freshUntil, Date.now()), scope: entry.scope });
      // A fresh object: the query plan merges later fetches into what it is given.
      return { response: { data: JSON.parse(entry.json) as Record<string, unknown> }, report };
    }
    report.found = 'miss';
    metrics.rootFetches.inc({ subgraph: fetch.subgraph, found: 'miss' });
    const fetched = await send();
    const { response, hint } = fetched;
    if (response.errors?.length || !response.data) return { response, report };
    const scope = scopeToKeep(hint, fetch.viewer);
    if (!scope) {
      shape.unhinted = true;
      return { response, report };
    }
    const kept = since && this.entryOf(fetch, shape, response.data, hint!, scope);
    if (kept) await levels.keep([{ key: keys[scope]!, entry: kept }], since!);
    return { response, report };
  }

  /** The shape of a root fetch; null when it is never cached (its subgraph's `Query` rule is off, or its operation cannot be read against the API schema). */
  private shapeOf(subgraph: string, query: string): RootShape | null {
    const schema = this.schema;
    if (!schema) return null;
    let bySubgraph = this.shapes.get(subgraph);
    if (!bySubgraph) this.shapes.set(subgraph, (bySubgraph = new Map()));
    let shape = bySubgraph.get(query);
    if (shape !== undefined) return shape;
    if (bySubgraph.size >= MAX_SHAPES) bySubgraph.clear();
    shape = this.readShape(schema, subgraph, query);
    bySubgraph.set(query, shape);
    return shape;
  }

  private readShape(schema: GraphQLSchema, subgraph: string, query: string): RootShape | null {
    const { config, envNameOf } = this.options;
    if (!ruleFor(config, envNameOf(subgraph), 'Query').enabled) return null;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch {
      return null;
    }
    // Its tags are found by walking it over the answer with the API schema (as a cached response's
    // are): an operation that is not valid there (an inaccessible field) could hide an entity.
    if (validate(schema, document).length > 0) return null;
    const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
    const operation = operations[0];
    if (operations.length !== 1 || operation!.operation !== 'query') return null;
    const fields = operation!.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : []));
    return { digest: hash('sha256', `root\n${subgraph}\n${query}`, 'base64url'), document, operation: operation!, fields, unhinted: false };
  }

  /** The entry to keep for an answer, in `scope`: its tags, its TTL capped by the rules of `Query` and of each entity type it holds; none when a type's rule is off. */
  private entryOf(fetch: RootFetch, shape: RootShape, data: Record<string, unknown>, hint: SubgraphCacheHint, scope: 'PUBLIC' | 'PRIVATE'): EntityEntry | undefined {
    const { config, envNameOf } = this.options;
    const envName = envNameOf(fetch.subgraph);
    const entities = entitiesOf({ schema: this.schema!, document: shape.document, operation: shape.operation, variables: fetch.variables, data });
    let maxAge = Math.min(hint.maxAge, ruleFor(config, envName, 'Query').maxTtlS);
    for (const type of entities.types) {
      const rule = ruleFor(config, envName, type);
      if (!rule.enabled) return undefined;
      maxAge = Math.min(maxAge, rule.maxTtlS);
    }
    const tags = [
      ...entities.identified,
      ...[...entities.unidentified].map(unidentifiedTag),
      ...[...entities.types].map(typeTag),
      ...[...entities.listRoots].map(listTag),
    ];
    const freshUntil = Date.now() + maxAge * 1000;
    return { json: JSON.stringify(data), scope, freshUntil, staleUntil: freshUntil, tags };
  }
}

/** The scope an answer with `hint` may be kept in for `viewer`; none when it may not be kept (no hint, max-age 0, PRIVATE with no viewer). */
function scopeToKeep(hint: SubgraphCacheHint | undefined, viewer: Viewer | null): 'PUBLIC' | 'PRIVATE' | undefined {
  if (hint === undefined || hint.maxAge <= 0) return undefined;
  if (hint.scope !== 'PRIVATE') return 'PUBLIC';
  return viewer ? 'PRIVATE' : undefined;
}
