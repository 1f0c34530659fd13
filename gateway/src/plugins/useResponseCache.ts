import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServer, type ApolloServerPlugin, type GraphQLRequestContextWillSendResponse, type HTTPGraphQLRequest } from '@apollo/server';
import {
  cacheKeys,
  createCacheConnection,
  FirstLevelCache,
  InvalidationListener,
  listTag,
  PUBLIC_SCOPE,
  ResponseStore,
  typeTag,
  unidentifiedTag,
  userScope,
  type CachedResponse,
  type EvictionPolicy,
  type MissStart,
} from '@shopgraph/cache';
import type { Logger, Viewer } from '@shopgraph/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { getArgumentValues, Kind, type FieldNode, type SelectionSetNode } from 'graphql';
import { Counter, type Registry } from 'prom-client';
import type { GatewayContext } from '../context.js';
import type { MutationTagRules } from '../response-cache/mutation-tags.js';
import { entitiesOf } from '../response-cache/response-entities.js';
import { viewerOf } from './useAuth.js';

/** The response header that says where an answer came from: HIT-L1, HIT-L2, STALE or MISS. */
export const CACHE_STATUS_HEADER = 'x-cache';

export interface ResponseCacheOptions {
  redisUrl: string;
  /** Every Redis key and the invalidation channel live under it. */
  keyPrefix: string;
  /** Eviction policy of the in-process first level. */
  l1Policy: EvictionPolicy;
  l1MaxEntries: number;
  /** Longest a response is served stale while it is revalidated, capped by its own max-age; 0 turns that off. */
  swrSeconds: number;
  /** What mutations purge beyond the entities in their results. */
  mutationTags?: MutationTagRules;
  registry: Registry;
  logger: Logger;
}

export type GatewayContextFactory = (args: { req: Request; res: Response }) => Promise<GatewayContext>;

export interface ResponseCacheHandlers {
  /** The hit path: mount after auth and the JSON body parser, before anything that reads the operation. */
  lookup: RequestHandler;
  /** The miss path: mount right before the Apollo middleware; it answers the misses `lookup` let through. */
  execute: RequestHandler;
}

export interface ResponseCache {
  /** Decides what a query's response may be kept for and tagged with; purges after mutations. */
  plugin: ApolloServerPlugin<GatewayContext>;
  /** The two express handlers, once Apollo Server is started. */
  handlers(apollo: ApolloServer<GatewayContext>, context: GatewayContextFactory): ResponseCacheHandlers;
  close(): Promise<void>;
}

/** A POST that may be answered from the cache, with its keys. */
interface Candidate {
  digest: string;
  viewer: Viewer | null;
  publicKey: string;
  /** The viewer's own entry; none for an anonymous viewer, whose PRIVATE answers are not kept. */
  privateKey: string | undefined;
  /** Identical concurrent misses may share one execution: the text shows no write. */
  coalescible: boolean;
  /** Set by the second-level lookup; without it (Redis away) nothing is stored. */
  since?: MissStart;
}

/** An executed response, as sent and as shared with coalesced requests. */
interface Outcome {
  status: number;
  headers: [string, string][];
  body: Buffer;
  /** PUBLIC and cacheable: the same for every viewer, so any viewer's identical request may have it. */
  public: boolean;
}

interface Decision {
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
  tags: string[];
}

/** Words that make an operation a possible write; `\b` keeps `mutationCount` out. A false match only bypasses the cache. */
const WRITE_OPERATION = /\b(?:mutation|subscription)\b/;
const SWEEP_INTERVAL_MS = 5000;
/** How long one process owns the revalidation of a stale entry before another may try. */
const REVALIDATION_LOCK_MS = 10_000;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Identical misses in flight: one execution per request shape, shared when it turns out public. */
class Flights {
  private readonly byRequester = new Map<string, Promise<Outcome>>();
  private readonly byDigest = new Map<string, Promise<Outcome>>();

  private static requester(candidate: Candidate) {
    return `${candidate.digest}|${candidate.viewer?.id ?? ''}`;
  }

  has(candidate: Candidate): boolean {
    return this.byRequester.has(Flights.requester(candidate));
  }

  async run(candidate: Candidate, execute: () => Promise<Outcome>): Promise<Outcome> {
    if (!candidate.coalescible) return execute();
    const own = Flights.requester(candidate);
    const same = this.byRequester.get(own);
    if (same) return same;
    const other = this.byDigest.get(candidate.digest);
    if (other) {
      // Another viewer's identical request: its answer serves this one only if it is public.
      const outcome = await other.catch(() => undefined);
      if (outcome?.public) return outcome;
      const started = this.byRequester.get(own);
      if (started) return started;
    }
    const flight = execute();
    this.byRequester.set(own, flight);
    if (!this.byDigest.has(candidate.digest)) this.byDigest.set(candidate.digest, flight);
    const land = () => {
      if (this.byRequester.get(own) === flight) this.byRequester.delete(own);
      if (this.byDigest.get(candidate.digest) === flight) this.byDigest.delete(candidate.digest);
    };
    flight.then(land, land);
    return flight;
  }
}

/** The root fields of a selection set, through fragments, with their response keys. */
function rootFields(selectionSet: SelectionSetNode, fragments: Map<string, SelectionSetNode>) {
  return selectionSet.selections.flatMap((selection): { key: string; node: FieldNode }[] => {
    if (selection.kind === Kind.FIELD) return [{ key: selection.alias?.value ?? selection.name.value, node: selection }];
    const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value);
    return inner ? rootFields(inner, fragments) : [];
  });
}

/**
 * The response cache (see the README's "Response cache"): a first level in this process, a second
 * in Redis, exact invalidation by entity tags, single-flight misses and stale-while-revalidate.
 * A hit is answered from the stored bytes before Apollo Server sees the request.
 */
export function useResponseCache(options: ResponseCacheOptions): ResponseCache {
  const { logger, registry, mutationTags = {} } = options;
  const keys = cacheKeys(options.keyPrefix);
  const reads = createCacheConnection(options.redisUrl, 'reads');
  const writes = createCacheConnection(options.redisUrl, 'writes');
  for (const connection of [reads, writes]) {
    connection.on('error', (error: Error) => logger.debug({ err: error }, 'response cache: Redis connection error'));
  }
  const store = new ResponseStore(reads, writes, keys);
  const l1 = new FirstLevelCache<CachedResponse>({ policy: options.l1Policy, maxEntries: options.l1MaxEntries });
  const flights = new Flights();
  const swrMs = options.swrSeconds * 1000;

  const hits = new Counter({
    name: 'shopgraph_gateway_cache_hits_total',
    help: 'Responses answered fresh from the response cache, by level (l1 in process, l2 Redis).',
    labelNames: ['level'] as const,
    registers: [registry],
  });
  const l1Hits = hits.labels({ level: 'l1' });
  const l2Hits = hits.labels({ level: 'l2' });
  const stale = new Counter({
    name: 'shopgraph_gateway_cache_stale_total',
    help: 'Responses answered stale from the response cache while being revalidated.',
    registers: [registry],
  });
  const misses = new Counter({
    name: 'shopgraph_gateway_cache_misses_total',
    help: 'Cacheable-looking requests the response cache could not answer (executed, or joined an identical one in flight).',
    registers: [registry],
  });
  const invalidations = new Counter({
    name: 'shopgraph_gateway_cache_invalidations_total',
    help: 'Purges by origin: mutation (made by this gateway) or pubsub (received, from any process).',
    labelNames: ['origin'] as const,
    registers: [registry],
  });
  const purged = new Counter({
    name: 'shopgraph_gateway_cache_purged_entries_total',
    help: 'Cached responses purged, by level: l2 by this gateway\'s mutations, l1 by any purge.',
    labelNames: ['level'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'shopgraph_gateway_cache_errors_total',
    help: 'Redis operations of the response cache that failed, by operation; the request went on without the cache.',
    labelNames: ['operation'] as const,
    registers: [registry],
  });

  const dropFromFirstLevel = (tags: Iterable<string>) => {
    const dropped = l1.dropTags(tags);
    if (dropped > 0) purged.inc({ level: 'l1' }, dropped);
  };
  const listener = new InvalidationListener({
    subscriber: createCacheConnection(options.redisUrl, 'subscriber'),
    store,
    logger,
    onInvalidate(tags) {
      invalidations.inc({ origin: 'pubsub' });
      dropFromFirstLevel(tags);
    },
    onReset() {
      l1.clear();
    },
  });
  const sweeper = setInterval(() => l1.sweep(Date.now()), SWEEP_INTERVAL_MS);
  sweeper.unref();

  /**
   * Executions that want a decision, and the decisions made for them. Keyed by the HTTP request
   * object handed to Apollo Server, which reaches the plugin as `request.http` (the context
   * object does not: Apollo Server copies it for each operation).
   */
  const wanted = new WeakSet<HTTPGraphQLRequest>();
  const decisions = new WeakMap<HTTPGraphQLRequest, Decision>();

  function decide(requestContext: GraphQLRequestContextWillSendResponse<GatewayContext>): Decision | undefined {
    const { response, document, operation, schema } = requestContext;
    if (!document || !operation || response.body.kind !== 'single') return undefined;
    const result = response.body.singleResult;
    if (result.errors?.length || (response.http.status ?? 200) !== 200) return undefined;
    // The most restrictive hint of every subgraph response involved (their cache-control headers).
    const policy = requestContext.overallCachePolicy.policyIfCacheable();
    if (!policy) return undefined;
    const entities = entitiesOf({ schema, document, operation, variables: requestContext.request.variables, data: result.data });
    const tags = [
      ...entities.identified,
      ...[...entities.unidentified].map(unidentifiedTag),
      ...[...entities.types].map(typeTag),
      ...[...entities.listRoots].map(listTag),
    ];
    return { maxAge: policy.maxAge, scope: policy.scope, tags };
  }

  /** Purges `tags` everywhere; resolves once Redis has deleted them and this process dropped them. */
  async function invalidate(tags: Set<string>): Promise<void> {
    try {
      const invalidation = await store.invalidate(tags);
      invalidations.inc({ origin: 'mutation' });
      purged.inc({ level: 'l2' }, invalidation.purged);
      // Applied here now, not when the message comes back: the response must not precede the purge.
      listener.appliedLocally(invalidation.epoch);
      dropFromFirstLevel(invalidation.tags);
    } catch (error) {
      // The write is done and cannot be undone; at least this process stops serving what it holds.
      errors.inc({ operation: 'invalidate' });
      logger.error({ err: error, tags: [...tags] }, 'response cache: a purge failed; cached responses may be stale until they expire');
      l1.clear();
    }
  }

  async function purgeAfterMutation(requestContext: GraphQLRequestContextWillSendResponse<GatewayContext>): Promise<void> {
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
      const rule = mutationTags[node.name.value];
      const field = mutationType?.getFields()[node.name.value];
      if (!rule || !field || data[key] === null || data[key] === undefined) continue;
      for (const tag of rule(getArgumentValues(field, node, variables))) tags.add(tag);
    }
    if (tags.size > 0) await invalidate(tags);
  }

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async willSendResponse(requestContext) {
          const { operation } = requestContext;
          const http = requestContext.request.http;
          if (operation?.operation === 'mutation') {
            await purgeAfterMutation(requestContext);
          } else if (operation?.operation === 'query' && http && wanted.has(http)) {
            const decision = decide(requestContext);
            if (decision) decisions.set(http, decision);
          }
        },
      };
    },
  };

  function candidateOf(req: Request, res: Response): Candidate | undefined {
    const body: unknown = req.body;
    if (req.method !== 'POST' || !req.rawBody || !isRecord(body)) return undefined;
    const query = body.query;
    // No text at all is a persisted query by hash: it may be looked up, but not coalesced unseen.
    if (query !== undefined && (typeof query !== 'string' || WRITE_OPERATION.test(query))) return undefined;
    const viewer = viewerOf(res);
    // The negotiated content type depends on `accept`, so it is part of what the bytes answer.
    const digest = createHash('sha256').update(req.headers.accept ?? '').update('\n').update(req.rawBody).digest('base64url');
    return {
      digest,
      viewer,
      publicKey: keys.entry(PUBLIC_SCOPE, digest),
      privateKey: viewer ? keys.entry(userScope(viewer.id), digest) : undefined,
      coalescible: query !== undefined,
    };
  }

  function answer(res: Response, entry: CachedResponse, now: number, status: 'HIT-L1' | 'HIT-L2' | 'STALE'): void {
    res.statusCode = 200;
    for (const [name, value] of entry.headers) res.setHeader(name, value);
    res.setHeader('age', Math.floor((now - entry.storedAt) / 1000));
    res.setHeader(CACHE_STATUS_HEADER, status);
    res.setHeader('content-length', entry.body.length);
    res.end(entry.body);
  }

  function send(res: Response, outcome: Outcome): void {
    res.statusCode = outcome.status;
    for (const [name, value] of outcome.headers) res.setHeader(name, value);
    res.setHeader(CACHE_STATUS_HEADER, 'MISS');
    res.setHeader('content-length', outcome.body.length);
    res.end(outcome.body);
  }

  /** Requests the lookup let through as misses, for `execute`. */
  const pending = new WeakMap<Response, Candidate>();

  function handlers(apollo: ApolloServer<GatewayContext>, context: GatewayContextFactory): ResponseCacheHandlers {
    /** Executes like the Apollo middleware does, then keeps the answer if the plugin decided it may be kept. */
    async function execute(req: Request, res: Response, candidate: Candidate): Promise<Outcome> {
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const queryStart = req.url.indexOf('?');
      const httpGraphQLRequest: HTTPGraphQLRequest = {
        method: 'POST',
        headers,
        search: queryStart < 0 ? '' : req.url.slice(queryStart),
        body: req.body,
      };
      wanted.add(httpGraphQLRequest);
      const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => context({ req, res }) });
      let body: Buffer;
      if (response.body.kind === 'complete') {
        body = Buffer.from(response.body.string);
      } else {
        // Incremental delivery needs graphql 17; should it come, the parts are sent whole, never kept.
        const parts: string[] = [];
        for await (const part of response.body.asyncIterator) parts.push(part);
        body = Buffer.from(parts.join(''));
      }
      const decision = decisions.get(httpGraphQLRequest);
      const outcome: Outcome = {
        status: response.status ?? 200,
        headers: [...response.headers].filter(([name]) => name !== 'content-length'),
        body,
        public: decision?.scope === 'PUBLIC',
      };
      if (decision) await keep(candidate, decision, outcome);
      return outcome;
    }

    async function keep(candidate: Candidate, decision: Decision, outcome: Outcome): Promise<void> {
      const entryKey = decision.scope === 'PUBLIC' ? candidate.publicKey : candidate.privateKey;
      if (!entryKey || !candidate.since) return;
      const now = Date.now();
      const freshUntil = now + decision.maxAge * 1000;
      const entry: CachedResponse = {
        body: outcome.body,
        headers: outcome.headers,
        storedAt: now,
        freshUntil,
        staleUntil: freshUntil + Math.min(swrMs, decision.maxAge * 1000),
        tags: decision.tags,
      };
      try {
        const epoch = await store.store(entryKey, entry, candidate.since);
        if (epoch !== null && listener.admits(epoch)) l1.set(entryKey, entry);
      } catch (error) {
        errors.inc({ operation: 'store' });
        logger.warn({ err: error }, 'response cache: could not store a response');
      }
    }

    /** Once per stale entry across all gateways: execute again in the background and store the answer. */
    function revalidate(req: Request, res: Response, candidate: Candidate, entryKey: string): void {
      if (flights.has(candidate)) return;
      void (async () => {
        if (!(await store.claimRevalidation(entryKey, REVALIDATION_LOCK_MS))) return;
        const revalidating = { ...candidate, since: { epoch: await store.epoch(), at: Date.now() } };
        await flights.run(revalidating, () => execute(req, res, revalidating));
      })().catch((error: unknown) => {
        errors.inc({ operation: 'revalidate' });
        logger.warn({ err: error }, 'response cache: revalidation failed');
      });
    }

    function serve(req: Request, res: Response, candidate: Candidate, key: string, entry: CachedResponse, level: 'L1' | 'L2', now: number) {
      if (entry.freshUntil > now) {
        (level === 'L1' ? l1Hits : l2Hits).inc();
        answer(res, entry, now, level === 'L1' ? 'HIT-L1' : 'HIT-L2');
        return;
      }
      stale.inc();
      answer(res, entry, now, 'STALE');
      revalidate(req, res, candidate, key);
    }

    async function lookupSecondLevel(req: Request, res: Response, next: NextFunction, candidate: Candidate): Promise<void> {
      const entryKeys = candidate.privateKey ? [candidate.publicKey, candidate.privateKey] : [candidate.publicKey];
      try {
        const { entries, epoch } = await store.lookup(entryKeys);
        candidate.since = { epoch, at: Date.now() };
        const now = Date.now();
        const index = entries.findIndex((entry) => entry !== null && entry.staleUntil > now);
        if (index >= 0) {
          const key = entryKeys[index]!;
          const entry = entries[index]!;
          if (listener.admits(epoch)) l1.set(key, entry);
          serve(req, res, candidate, key, entry, 'L2', now);
          return;
        }
      } catch (error) {
        errors.inc({ operation: 'lookup' });
        logger.debug({ err: error }, 'response cache: lookup failed; executing');
      }
      misses.inc();
      pending.set(res, candidate);
      next();
    }

    const lookup: RequestHandler = (req, res, next) => {
      const candidate = candidateOf(req, res);
      if (!candidate) {
        next();
        return;
      }
      const now = Date.now();
      let key = candidate.publicKey;
      let entry = l1.get(key, now);
      if (!entry && candidate.privateKey) {
        key = candidate.privateKey;
        entry = l1.get(key, now);
      }
      if (entry) {
        serve(req, res, candidate, key, entry, 'L1', now);
        return;
      }
      lookupSecondLevel(req, res, next, candidate).catch(next);
    };

    const executeMiss: RequestHandler = async (req, res, next) => {
      const candidate = pending.get(res);
      if (!candidate) {
        next();
        return;
      }
      send(res, await flights.run(candidate, () => execute(req, res, candidate)));
    };

    return { lookup, execute: executeMiss };
  }

  return {
    plugin,
    handlers,
    async close() {
      clearInterval(sweeper);
      await listener.close();
      reads.disconnect();
      await writes.quit().catch(() => writes.disconnect());
    },
  };
}
