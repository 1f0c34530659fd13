import type { GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { typeTag, type InvalidationListener, type ResponseStore } from '@shopgraph/cache';
import type { Logger } from '@shopgraph/common';
import { getArgumentValues, Kind, type FieldNode, type SelectionSetNode } from 'graphql';
import type { GatewayContext } from '../context.js';
import type { CacheMetrics } from './cache-metrics.js';
import type { MutationTagRules } from './mutation-tags.js';
import { entitiesOf } from './response-entities.js';

/** The root fields of a selection set, through fragments, with their response keys. */
function rootFields(selectionSet: SelectionSetNode, fragments: Map<string, SelectionSetNode>) {
  return selectionSet.selections.flatMap((selection): { key: string; node: FieldNode }[] => {
    if (selection.kind === Kind.FIELD) return [{ key: selection.alias?.value ?? selection.name.value, node: selection }];
    const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value);
    return inner ? rootFields(inner, fragments) : [];
  });
}

/** What a purge acts on: the Redis store it deletes from, and a first level it drops from at once. */
export interface PurgedLevels {
  readonly store: ResponseStore;
  readonly listener: InvalidationListener;
  dropFromFirstLevel(tags: Iterable<string>): void;
  clearFirstLevel(): void;
}

/** The counters a purge adds to. */
export type PurgeMetrics = Pick<CacheMetrics, 'invalidations' | 'purged' | 'errors'>;

/**
 * What a mutation purges: the entities in its result (an entity of unknown id: all of its type)
 * and the tags `mutationTags` adds, everywhere, before its response is sent. `also` are first
 * levels of this process kept under the same tags in the same Redis namespace (the entity
 * cache's): one purge deletes their entries from Redis too, and they drop theirs at once as well.
 */
export class Purges {
  constructor(
    private readonly levels: PurgedLevels,
    private readonly mutationTags: MutationTagRules,
    private readonly metrics: PurgeMetrics,
    private readonly logger: Logger,
    private readonly also: readonly PurgedLevels[] = [],
  ) {}

  /** The purge of each mutation request, started by whichever of its callers came first. */
  private readonly started = new WeakMap<object, Promise<void>>();

  /**
   * Purges what the mutation of `requestContext` changed, once however often it is called: the
   * cache's own plugin calls it, and so do the mutation's entity events, which must not go out
   * before it (a subscriber re-reads the entity past its first level, from what Redis holds).
   */
  afterMutation(requestContext: GraphQLRequestContextWillSendResponse<GatewayContext>): Promise<void> {
    let purge = this.started.get(requestContext);
    if (!purge) {
      purge = this.purge(requestContext);
      this.started.set(requestContext, purge);
    }
    return purge;
  }

  private async purge(requestContext: GraphQLRequestContextWillSendResponse<GatewayContext>): Promise<void> {
    const { response, document, operation, schema } = requestContext;
    if (!document || !operation || response.body.kind !== 'single') return;
    const data = response.body.singleResult.data;
    if (!data) return;
    const variables = requestContext.request.variables ?? {};
    const entities = entitiesOf({ schema, document, operation, variables, data });
    // An entity of unknown id may be any of its type: purge them all.
    const tags = new Set([...entities.identified, ...[...entities.unidentified].map(typeTag)]);
    const fragments = new Map<string, SelectionSetNode>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
    }
    const mutationType = schema.getMutationType();
    for (const { key, node } of rootFields(operation.selectionSet, fragments)) {
      const rule = this.mutationTags[node.name.value];
      const field = mutationType?.getFields()[node.name.value];
      if (!rule || !field || data[key] === null || data[key] === undefined) continue;
      for (const tag of rule(getArgumentValues(field, node, variables))) tags.add(tag);
    }
    if (tags.size > 0) await this.invalidate(tags);
  }

  /** Purges `tags` everywhere; resolves once Redis has deleted them and this process dropped them. */
  private async invalidate(tags: Set<string>): Promise<void> {
    const { levels, metrics } = this;
    try {
      const invalidation = await levels.store.invalidate(tags);
      metrics.invalidations.inc({ origin: 'mutation' });
      metrics.purged.inc({ level: 'l2' }, invalidation.purged);
      // Applied here now, not when the message comes back: the response must not precede the purge.
      for (const level of [levels, ...this.also]) {
        level.listener.appliedLocally(invalidation.epoch);
        level.dropFromFirstLevel(invalidation.tags);
      }
    } catch (error) {
      // The write is done and cannot be undone; at least this process stops serving what it holds.
      metrics.errors.inc({ operation: 'invalidate' });
      this.logger.error({ err: error, tags: [...tags] }, 'response cache: a purge failed; cached responses may be stale until they expire');
      for (const level of [levels, ...this.also]) level.clearFirstLevel();
    }
  }
}
