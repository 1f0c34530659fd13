import { hash } from 'node:crypto';
import type { GraphQLDataSource } from '@apollo/gateway';
import { userScope } from '@shopgraph/cache';
import type { Viewer } from '@shopgraph/common';
import type { GraphQLSchema } from 'graphql';
import type { SupergraphVersion } from '../response-cache/supergraph-version.js';
import { spreadErrors } from '../upstream/distinct-representations.js';
import type { SubgraphCacheHint } from '../upstream/subgraph-response.js';
import { ruleFor, type EntityCacheConfig } from './entity-cache-env.js';
import type { EntityEntry, EntityLevels } from './entity-levels.js';
import type { EntityCacheMetrics } from './entity-metrics.js';
import { nestedTags, representationTag } from './entity-tags.js';
import { remainingMaxAgeS } from './remaining-max-age.js';

export type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** An `_entities` fetch of a query plan, as its data source is asked for it. */
export interface EntityFetch {
  /** The subgraph's name in the supergraph. */
  subgraph: string;
  query: string;
  /** `representations` and whatever other variables the fetch's selection uses. */
  variables: Record<string, unknown>;
  viewer: Viewer | null;
  /** Read past the first level: see `GatewayContext.afterEvent`. */
  afterEvent?: boolean;
}

/** What the subgraph answered for the representations sent, and the cache hint it gave. */
export interface FetchedEntities {
  response: GatewayGraphQLResponse;
  /** From its `cache-control`; none when it gave none (nothing is then kept). */
  hint: SubgraphCacheHint | undefined;
}

/** What one entity fetch found and fetched (the debugging extension lists these). */
export interface EntityFetchReport {
  subgraph: string;
  requested: number;
  hits: { l1: number; l2: number };
  /** Representations sent to the subgraph: the missing ones, each once. */
  fetched: number;
}

export interface EntityCacheOptions {
  levels: EntityLevels;
  config: Pick<EntityCacheConfig, 'maxTtlS' | 'rules'>;
  metrics: EntityCacheMetrics;
  supergraph: SupergraphVersion;
  /** `products` → `PRODUCTS`: the name the rules know a subgraph by. */
  envNameOf(subgraph: string): string;
}

/** One distinct representation of a fetch and the positions it holds in it. */
interface Slot {
  representation: Record<string, unknown>;
  positions: number[];
  /** Null when its type is not cached (a rule, or no id to tag it with). */
  cached: { publicKey: string; privateKey: string | undefined; tag: string; maxTtlS: number } | null;
  entry?: EntityEntry;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Fetch shapes remembered (as uncacheable, or with their digest) at most; past it, the memory starts again. */
const MAX_SHAPES = 10_000;

/**
 * The entity cache: for each `_entities` fetch, the representations already cached (in process,
 * then in Redis, one round trip) are answered from there, the others are fetched in one call to
 * the subgraph (each distinct one once), kept if the subgraph's hint allows, and the answer is
 * put back together in the order the query plan asked.
 *
 * Keys: the supergraph version, the subgraph, the fetch's selection and other variables (a hash),
 * the representation (type, key fields and any @requires fields) and the scope: PUBLIC entries
 * are shared, PRIVATE ones kept per viewer (never for an anonymous one). What may be kept, for how
 * long and for whom is the subgraph's cache-control for the fetch — the most restrictive of the
 * `@cacheControl` hints of every type and field it resolved, a field with no hint making it
 * uncacheable — capped per subgraph and type by the rules. Tags: the entity's own (`Product:42`)
 * and those of the entities nested in its value, so the response cache's purges clear them.
 * A fetch answered whole from the first level is kept whole there too (its entities' tags, the
 * shortest freshness, PRIVATE under the viewer's key if one of them is): the same page read again
 * is one lookup and one parse, not one per representation.
 */
export class EntityCache {
  private schema: GraphQLSchema | undefined;
  /**
   * Fetch shapes (subgraph, selection, variables) whose last clean answer the subgraph said may
   * not be kept (no hint: a user's orders list, a payment by its id): sent as they are, without
   * lookups, until an answer says otherwise.
   */
  private readonly uncacheable = new Set<string>();
  /** The digest of each fetch shape seen: a query plan sends the same few shapes again and again. */
  private readonly shapeDigests = new Map<string, string>();

  constructor(private readonly options: EntityCacheOptions) {}

  /** The API schema of the supergraph in service, to find the entities nested in a value. */
  schemaLoaded(schema: GraphQLSchema): void {
    this.schema = schema;
    // New query plans, perhaps new hints: learnt again.
    this.uncacheable.clear();
    this.shapeDigests.clear();
  }

  /**
   * Answers `fetch`: `send` fetches the representations the cache does not hold (one call), and
   * `restrict` narrows the operation's cache policy by what the answers from the cache allow.
   */
  async resolve(
    fetch: EntityFetch,
    send: (representations: Record<string, unknown>[]) => Promise<FetchedEntities>,
    restrict: (hint: SubgraphCacheHint) => void,
  ): Promise<{ response: GatewayGraphQLResponse; report: EntityFetchReport }> {
    const { levels, metrics } = this.options;
    const representations = fetch.variables.representations as Record<string, unknown>[];
    const { representations: _, ...others } = fetch.variables;
    const shape = `${fetch.subgraph}\n${fetch.query}\n${JSON.stringify(others)}\n`;
    const report: EntityFetchReport = { subgraph: fetch.subgraph, requested: representations.length, hits: { l1: 0, l2: 0 }, fetched: 0 };
    if (this.uncacheable.has(shape)) {
      const fetched = await send(representations);
      if (fetched.hint && fetched.hint.maxAge > 0) this.uncacheable.delete(shape);
      report.fetched = representations.length;
      metrics.representations.inc({ subgraph: fetch.subgraph, kind: 'requested' }, representations.length);
      metrics.representations.inc({ subgraph: fetch.subgraph, kind: 'fetched' }, representations.length);
      return { response: fetched.response, report };
    }
    const now = Date.now();
    const shapeDigest = this.digestOf(shape);
    // A fetch answered whole from the first level before is one lookup: the same page read again.
    const whole = fetch.afterEvent || !levels.firstLevelEnabled ? undefined : this.wholeFetchKeys(fetch, shapeDigest, representations);
    const memo = whole && (levels.firstLevel(whole.publicKey, now) ?? (whole.privateKey ? levels.firstLevel(whole.privateKey, now) : undefined));
    if (memo) {
      report.hits.l1 = representations.length;
      metrics.representations.inc({ subgraph: fetch.subgraph, kind: 'requested' }, representations.length);
      metrics.hits.inc({ subgraph: fetch.subgraph, level: 'l1' }, representations.length);
      restrict({ maxAge: remainingMaxAgeS(memo.freshUntil, now), scope: memo.scope });
      return { response: { data: { _entities: JSON.parse(memo.json) as unknown[] } }, report };
    }
    const slots = this.slotsOf(fetch, shapeDigest, representations, now);

    const pending = slots.filter((slot) => slot.cached && !slot.entry);
    let since = null;
    if (pending.length > 0) {
      const keys = pending.flatMap((slot) => (slot.cached!.privateKey ? [slot.cached!.publicKey, slot.cached!.privateKey] : [slot.cached!.publicKey]));
      const lookup = await levels.secondLevel(keys);
      since = lookup.since;
      for (const slot of pending) {
        slot.entry = lookup.found.get(slot.cached!.publicKey) ?? (slot.cached!.privateKey ? lookup.found.get(slot.cached!.privateKey) : undefined);
        if (slot.entry) report.hits.l2 += slot.positions.length;
      }
    }
    const missing = slots.filter((slot) => !slot.entry);
    report.hits.l1 = representations.length - report.hits.l2 - missing.reduce((sum, slot) => sum + slot.positions.length, 0);
    report.fetched = missing.length;
    metrics.representations.inc({ subgraph: fetch.subgraph, kind: 'requested' }, representations.length);
    if (report.fetched > 0) metrics.representations.inc({ subgraph: fetch.subgraph, kind: 'fetched' }, report.fetched);
    if (report.hits.l1 > 0) metrics.hits.inc({ subgraph: fetch.subgraph, level: 'l1' }, report.hits.l1);
    if (report.hits.l2 > 0) metrics.hits.inc({ subgraph: fetch.subgraph, level: 'l2' }, report.hits.l2);
    const missed = missing.reduce((sum, slot) => sum + (slot.cached ? slot.positions.length : 0), 0);
    if (missed > 0) metrics.misses.inc({ subgraph: fetch.subgraph }, missed);

    const merged: unknown[] = new Array(representations.length);
    // Answered whole from the first level, in this tick: kept whole there too.
    const wholeEntry = this.answerFromCache(slots, merged, restrict, whole !== undefined && missing.length === 0 && report.hits.l2 === 0);
    if (missing.length === 0) {
      if (whole && wholeEntry) levels.keepInFirstLevel(wholeEntry.scope === 'PRIVATE' ? whole.privateKey! : whole.publicKey, wholeEntry);
      return { response: { data: { _entities: merged } }, report };
    }

    const fetched = await send(missing.map((slot) => slot.representation));
    const { response } = fetched;
    if (!response.errors?.length && (!fetched.hint || fetched.hint.maxAge === 0)) this.rememberUncacheable(shape);
    const entities: unknown = response.data?._entities;
    if (!Array.isArray(entities) || entities.length !== missing.length) {
      // No data, or not what was asked: the query plan handles it as it would without the cache.
      return { response: { ...response, ...(response.errors ? { errors: spreadErrors(response.errors, missing.map((slot) => slot.positions)) } : {}) }, report };
    }
    const keep: { key: string; entry: EntityEntry }[] = [];
    const storable = since !== null && !response.errors?.length && fetched.hint !== undefined && fetched.hint.maxAge > 0;
    missing.forEach((slot, index) => {
      const value: unknown = entities[index];
      const json = value === null || value === undefined ? undefined : JSON.stringify(value);
      // Every position its own copy: the query plan merges later fetches into what it is given.
      slot.positions.forEach((position, n) => (merged[position] = n === 0 || json === undefined ? value : JSON.parse(json)));
      if (storable && json !== undefined && isRecord(value)) {
        const kept = this.entryOf(slot, value, json, fetched.hint!);
        if (kept) keep.push(kept);
      }
    });
    if (keep.length > 0) await levels.keep(keep, since!);
    return {
      response: { ...response, data: { ...response.data, _entities: merged }, ...(response.errors ? { errors: spreadErrors(response.errors, missing.map((slot) => slot.positions)) } : {}) },
      report,
    };
  }

  private rememberUncacheable(shape: string): void {
    if (this.uncacheable.size >= MAX_SHAPES) this.uncacheable.clear();
    this.uncacheable.add(shape);
  }

  /** The digest of a fetch shape (subgraph, selection, other variables), made once per shape. */
  private digestOf(shape: string): string {
    let digest = this.shapeDigests.get(shape);
    if (digest === undefined) {
      if (this.shapeDigests.size >= MAX_SHAPES) this.shapeDigests.clear();
      digest = hash('sha256', shape, 'base64url');
      this.shapeDigests.set(shape, digest);
    }
    return digest;
  }

  /** The keys of a whole fetch's answer kept in process: PUBLIC, and the viewer's when one of its entities is PRIVATE. */
  private wholeFetchKeys(fetch: EntityFetch, shapeDigest: string, representations: Record<string, unknown>[]) {
    const { levels, supergraph } = this.options;
    const digest = `${shapeDigest}:${JSON.stringify(representations)}`;
    const version = supergraph.current;
    return {
      publicKey: levels.keys.entry(`ent~${version}~fetch~pub`, digest),
      privateKey: fetch.viewer ? levels.keys.entry(`ent~${version}~fetch~${userScope(fetch.viewer.id)}`, digest) : undefined,
    };
  }

  private slotsOf(fetch: EntityFetch, shapeDigest: string, representations: Record<string, unknown>[], now: number): Slot[] {
    const { config, envNameOf, supergraph, levels } = this.options;
    const envName = envNameOf(fetch.subgraph);
    const version = supergraph.current;
    const publicScope = `ent~${version}~pub`;
    const privateScope = fetch.viewer ? `ent~${version}~${userScope(fetch.viewer.id)}` : undefined;
    const byText = new Map<string, Slot>();
    const slots: Slot[] = [];
    representations.forEach((representation, position) => {
      const text = JSON.stringify(representation);
      let slot = byText.get(text);
      if (!slot) {
        const tag = representationTag(representation);
        const rule = tag === undefined ? undefined : ruleFor(config, envName, representation.__typename as string);
        let cached: Slot['cached'] = null;
        if (tag !== undefined && rule?.enabled) {
          // The representation as it is (type, key and @requires fields: short): no hash per entity.
          const digest = `${shapeDigest}:${text}`;
          cached = {
            publicKey: levels.keys.entry(publicScope, digest),
            privateKey: privateScope === undefined ? undefined : levels.keys.entry(privateScope, digest),
            tag,
            maxTtlS: rule.maxTtlS,
          };
        }
        slot = { representation, positions: [], cached };
        if (cached && !fetch.afterEvent) slot.entry = levels.firstLevel(cached.publicKey, now) ?? (cached.privateKey ? levels.firstLevel(cached.privateKey, now) : undefined);
        byText.set(text, slot);
        slots.push(slot);
      }
      slot.positions.push(position);
    });
    return slots;
  }

  /**
   * Fills the positions of cached entities, and narrows the cache policy to the shortest of them
   * (PRIVATE if one is). With `whole` (every position cached), also returns the entry that answers
   * the whole fetch at once: its value, shortest freshness, scope and every tag.
   */
  private answerFromCache(slots: Slot[], merged: unknown[], restrict: (hint: SubgraphCacheHint) => void, whole: boolean): EntityEntry | undefined {
    const now = Date.now();
    let freshUntil = Infinity;
    let scope: 'PUBLIC' | 'PRIVATE' = 'PUBLIC';
    const texts: string[] = new Array(merged.length);
    let cached = 0;
    for (const slot of slots) {
      const entry = slot.entry;
      if (!entry) continue;
      for (const position of slot.positions) texts[position] = entry.json;
      cached += slot.positions.length;
      freshUntil = Math.min(freshUntil, entry.freshUntil);
      if (entry.scope === 'PRIVATE') scope = 'PRIVATE';
    }
    if (cached === 0) return undefined;
    restrict({ maxAge: remainingMaxAgeS(freshUntil, now), scope });
    if (cached === merged.length) {
      // One parse for them all, in the plan's order: a fresh object at every position, none shared with the cache.
      const json = `[${texts.join(',')}]`;
      (JSON.parse(json) as unknown[]).forEach((value, position) => (merged[position] = value));
      if (!whole) return undefined;
      const tags = new Set<string>();
      for (const slot of slots) for (const tag of slot.entry!.tags) tags.add(tag);
      return { json, scope, freshUntil, staleUntil: freshUntil, tags: [...tags] };
    }
    const positions: number[] = [];
    const parts: string[] = [];
    texts.forEach((text, position) => {
      positions.push(position);
      parts.push(text);
    });
    const values = JSON.parse(`[${parts.join(',')}]`) as unknown[];
    positions.forEach((position, n) => (merged[position] = values[n]));
    return undefined;
  }

  /** The entry to keep for a fetched entity, under the key of its scope; none when it may not be kept. */
  private entryOf(slot: Slot, value: Record<string, unknown>, json: string, hint: SubgraphCacheHint): { key: string; entry: EntityEntry } | undefined {
    const cached = slot.cached;
    if (!cached || !this.schema) return undefined;
    const scope = hint.scope === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC';
    const key = scope === 'PUBLIC' ? cached.publicKey : cached.privateKey;
    if (key === undefined) return undefined;
    const nested = nestedTags(this.schema, slot.representation.__typename as string, value);
    if (nested === undefined) return undefined;
    const freshUntil = Date.now() + Math.min(hint.maxAge, cached.maxTtlS) * 1000;
    return { key, entry: { json, scope, freshUntil, staleUntil: freshUntil, tags: [cached.tag, ...nested] } };
  }
}
