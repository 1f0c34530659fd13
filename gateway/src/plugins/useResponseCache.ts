import { hash, randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
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
import { REQUEST_ID_HEADER, type Logger, type Viewer } from '@shopgraph/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { getArgumentValues, Kind, type FieldNode, type SelectionSetNode } from 'graphql';
import { Counter, type Registry } from 'prom-client';
import type { GatewayContext } from '../context.js';
import type { MutationTagRules } from '../response-cache/mutation-tags.js';
import { entitiesOf } from '../response-cache/response-entities.js';
import type { SessionCheck } from '../auth/session-check.js';
import { VerifiedTokens } from '../response-cache/verified-tokens.js';
import { bearerTokenOf, viewerOf } from './useAuth.js';

/** The response header that says where an answer came from: HIT-L1, HIT-L2, STALE or MISS. */
export const CACHE_STATUS_HEADER = 'x-cache';

export interface ResponseCacheOptions {
  redisUrl: string;
  /** Every Redis key and the invalidation channel live under it. */
  keyPrefix: string;
  /** Eviction policy of the in-process first level. */
  l1Policy: EvictionPolicy;
  l1MaxEntries: number;
  /** false: nothing is kept in process, so every hit is read from Redis (the benchmark's second-level run). */
  l1Enabled?: boolean;
  /** Longest a response is served stale while it is revalidated, capped by its own max-age; 0 turns that off. */
  swrSeconds: number;
  /** What mutations purge beyond the entities in their results. */
  mutationTags?: MutationTagRules;
  /**
   * What every request must pass at the front door before the cache is looked in (rate
   * limits): a refusal to send instead, or nothing. Requests it lets through are not counted
   * again behind the front door.
   */
  gate?: (req: IncomingMessage, viewer: Viewer | null) => FrontDoorRefusal | undefined | Promise<FrontDoorRefusal | undefined>;
  /**
   * Set apart the entries of gateways that would not execute the same requests (a persisted
   * operation allow-list): part of every entry key, so entries stored under another list are
   * never found.
   */
  keyVariant?: string;
  /** To verify bearer tokens at the front door, as `useAuth` does behind it. */
  jwtSecret: string;
  /** To refuse the tokens of ended sessions at the front door, as `useAuth` does behind it. */
  sessions: SessionCheck;
  registry: Registry;
  logger: Logger;
  /** Where the front door writes the access log line of each request it answers (`createAccessLogger`). */
  accessLog: Logger;
}

/** An answer the front door's gate sends instead of looking in the cache. */
export interface FrontDoorRefusal {
  status: number;
  headers: Record<string, string>;
  body: string;
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
  /**
   * The HTTP server's request listener: `app` behind the front door, which answers a fresh hit
   * of a plain JSON POST /graphql without express (no router, body parser or access-log
   * middleware: the cost of the hit is the cost of its bytes) and hands everything else to `app`.
   */
  front(app: RequestListener): RequestListener;
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
/** Largest body the front door reads itself; larger ones go to express untouched (cacheable queries are small). */
const FRONT_DOOR_MAX_BODY = 64 * 1024;
/** What the JSON body parser accepts without question: the front door leaves every other type to it. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset=utf-?8\s*)?$/i;
/** Request ids the service shell takes from clients (`createServiceApp`); others are replaced. */
const CLIENT_REQUEST_ID = /^[\w.-]{1,128}$/;
const SWEEP_INTERVAL_MS = 5000;
/** How long one process owns the revalidation of a stale entry before another may try. */
const REVALIDATION_LOCK_MS = 10_000;
/** How long a process that lost the claim serves the stale entry before it looks again. */
const REVALIDATION_RECHECK_MS = 1000;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `accept` values Apollo Server answers with plain application/json, as if none were sent. */
const DEFAULT_ACCEPT = new Set([undefined, '*/*', 'application/json']);

/**
 * The request's key material: the body bytes, and `accept` unless it changes nothing, since the
 * negotiated content type is part of what the bytes answer.
 */
const digestOf = (accept: string | undefined, rawBody: Buffer) =>
  DEFAULT_ACCEPT.has(accept) ? hash('sha256', rawBody, 'base64url') : `${hash('sha256', rawBody, 'base64url')}.${hash('sha256', accept!, 'base64url')}`;

/** A body that may be answered from the cache: an operation object whose text (if any) shows no write. */
function isReadOperation(body: unknown): body is Record<string, unknown> {
  if (!isRecord(body)) return false;
  const query = body.query;
  // No text at all is a persisted query by hash: it may be looked up, but not coalesced unseen.
  return query === undefined || (typeof query === 'string' && !WRITE_OPERATION.test(query));
}

/** What the JSON body parser would make of `raw`: its parse (strict: an object or array) or its 400. */
function parseJsonBody(raw: Buffer): { body: unknown } | { error: Error & { status: number } } {
  const text = raw.toString();
  const first = /\S/.exec(text)?.[0];
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError('not a JSON object or array');
    return { body: JSON.parse(text) as unknown };
  } catch {
    return { error: Object.assign(new Error('Malformed request body.'), { status: 400, type: 'entity.parse.failed' }) };
  }
}

/** Calls `done` with the whole body, or destroys the request when it is not the `length` bytes announced. */
function readBody(req: IncomingMessage, length: number, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
  });
  req.on('end', () => {
    // Shorter or longer than announced: the connection is broken; nothing sensible can be answered.
    if (size !== length) req.destroy();
    else done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  });
  req.on('error', () => req.destroy());
}

/**
 * Stale entries being revalidated, each until when: the front door answers them stale itself
 * meanwhile, instead of handing each request to express to find out the same.
 */
class Revalidations {
  private readonly until = new Map<string, number>();

  mark(entryKey: string, until: number): void {
    this.until.set(entryKey, until);
  }

  clear(entryKey: string): void {
    this.until.delete(entryKey);
  }

  covers(entryKey: string, now: number): boolean {
    const until = this.until.get(entryKey);
    return until !== undefined && until > now;
  }

  sweep(now: number): void {
    for (const [entryKey, until] of this.until) if (until <= now) this.until.delete(entryKey);
  }
}

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
 * The response cache: a first level in this process (LRU or LFU), a second in Redis, exact
 * invalidation by entity tags, single-flight misses and stale-while-revalidate. A hit is answered
 * from the stored bytes before Apollo Server sees the request — before express too, at the front
 * door, when nothing in front of the cache has to see it.
 *
 * Keys: the SHA-256 of the exact request body (and of `accept`, when it changes the content
 * type), under the public scope or the viewer's own. TTL and scope: the most restrictive
 * `@cacheControl` hint of the subgraph responses involved; PRIVATE answers are kept per user,
 * never for anonymous viewers; responses with errors and no-store ones (orders, payments) are
 * never kept. Tags: the entities found by walking the operation over the response data
 * (`entitiesOf`), list roots, and what `mutationTags` adds; a mutation purges its tags before
 * its response is sent.
 */
export function useResponseCache(options: ResponseCacheOptions): ResponseCache {
  const { logger, accessLog, registry, mutationTags = {} } = options;
  const keys = cacheKeys(options.keyPrefix);
  const reads = createCacheConnection(options.redisUrl, 'reads');
  const writes = createCacheConnection(options.redisUrl, 'writes');
  for (const connection of [reads, writes]) {
    connection.on('error', (error: Error) => logger.debug({ err: error }, 'response cache: Redis connection error'));
  }
  const store = new ResponseStore(reads, writes, keys);
  const l1 = new FirstLevelCache<CachedResponse>({ policy: options.l1Policy, maxEntries: options.l1MaxEntries });
  const l1Enabled = options.l1Enabled ?? true;
  const flights = new Flights();
  const swrMs = options.swrSeconds * 1000;
  const scoped = (scope: string) => (options.keyVariant === undefined ? scope : `${options.keyVariant}~${scope}`);
  const publicScope = scoped(PUBLIC_SCOPE);

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
  const revalidating = new Revalidations();
  const sweeper = setInterval(() => {
    const now = Date.now();
    l1.sweep(now);
    revalidating.sweep(now);
  }, SWEEP_INTERVAL_MS);
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

  const candidate = (digest: string, viewer: Viewer | null, body: Record<string, unknown> | undefined): Candidate => ({
    digest,
    viewer,
    publicKey: keys.entry(publicScope, digest),
    privateKey: viewer ? keys.entry(scoped(userScope(viewer.id)), digest) : undefined,
    coalescible: body?.query !== undefined,
  });

  function candidateOf(req: Request, res: Response): Candidate | undefined {
    const body: unknown = req.body;
    if (req.method !== 'POST' || !req.rawBody || !isReadOperation(body)) return undefined;
    return candidate(digestOf(req.headers.accept, req.rawBody), viewerOf(res), body);
  }

  /** The fresh entry for `found` in the first level, with its key. */
  function firstLevelEntry(found: Candidate, now: number): { key: string; entry: CachedResponse } | undefined {
    const entry = l1.get(found.publicKey, now);
    if (entry) return { key: found.publicKey, entry };
    const own = found.privateKey === undefined ? undefined : l1.get(found.privateKey, now);
    return own && found.privateKey ? { key: found.privateKey, entry: own } : undefined;
  }

  /** One round trip: the entry (if any, and not expired) for `found` in Redis; sets `found.since`. */
  async function secondLevelEntry(found: Candidate): Promise<{ key: string; entry: CachedResponse } | undefined> {
    const entryKeys = found.privateKey ? [found.publicKey, found.privateKey] : [found.publicKey];
    try {
      const { entries, epoch } = await store.lookup(entryKeys);
      found.since = { epoch, at: Date.now() };
      const now = Date.now();
      const index = entries.findIndex((entry) => entry !== null && entry.staleUntil > now);
      if (index < 0) return undefined;
      const key = entryKeys[index]!;
      const entry = entries[index]!;
      if (l1Enabled && listener.admits(epoch)) l1.set(key, entry);
      return { key, entry };
    } catch (error) {
      errors.inc({ operation: 'lookup' });
      logger.debug({ err: error }, 'response cache: lookup failed; executing');
      return undefined;
    }
  }

  /** Each entry's constant headers, flattened once for `writeHead`. */
  const flatHeaders = new WeakMap<CachedResponse, string[]>();

  function answer(res: ServerResponse, entry: CachedResponse, now: number, status: 'HIT-L1' | 'HIT-L2' | 'STALE', requestId?: string): void {
    let headers = flatHeaders.get(entry);
    if (!headers) {
      headers = [...entry.headers.flat(), 'content-length', String(entry.body.length)];
      flatHeaders.set(entry, headers);
    }
    const varying = ['age', String(Math.floor((now - entry.storedAt) / 1000)), CACHE_STATUS_HEADER, status];
    if (requestId !== undefined) varying.push(REQUEST_ID_HEADER, requestId);
    // Headers set before (express's request id, CORS) are merged in by writeHead.
    res.writeHead(200, [...headers, ...varying]);
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
  /** What the front door learnt of a request it handed to express: a body it refused, or a lookup that missed. */
  const handedOver = new WeakMap<IncomingMessage, { error: Error } | { missed: Candidate }>();
  const verifiedTokens = new VerifiedTokens(options.jwtSecret, options.sessions);
  const gate = options.gate;

  /** The announced body length of a request the front door may read; undefined to leave it to express. */
  function frontDoorLength(req: IncomingMessage): number | undefined {
    const { headers } = req;
    // A browser (Origin) gets express's CORS answer; anything unusual gets express's whole handling.
    if (req.method !== 'POST' || req.url !== '/graphql' || headers.origin !== undefined) return undefined;
    if (!headers['content-type'] || !PLAIN_JSON.test(headers['content-type'])) return undefined;
    if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return undefined;
    const length = Number(headers['content-length']);
    return Number.isInteger(length) && length > 0 && length <= FRONT_DOOR_MAX_BODY ? length : undefined;
  }

  /**
   * The request's viewer: null when anonymous, undefined when its token is not known good
   * (`useAuth` then decides), or a promise when the token must be verified first.
   */
  function frontDoorViewer(req: IncomingMessage): Viewer | null | undefined | Promise<Viewer | null | undefined> {
    const header = req.headers.authorization;
    if (header === undefined) return null;
    const token = bearerTokenOf(header);
    if (!token) return undefined;
    return verifiedTokens.known(token, Date.now()) ?? verifiedTokens.verify(token).then((viewer) => viewer ?? undefined);
  }

  /** The request id the service shell would give the request: the client's own when it is sane. */
  function requestIdOf(req: IncomingMessage): string {
    const given = req.headers[REQUEST_ID_HEADER];
    return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
  }

  /** The access log line the service shell would write. */
  function logCompleted(req: IncomingMessage, requestId: string, statusCode: number, startedAt: number, cache?: string) {
    if (!accessLog.isLevelEnabled('info')) return;
    accessLog.info(
      { req: { id: requestId, method: req.method, url: req.url }, res: { statusCode }, responseTime: Date.now() - startedAt, cache },
      'request completed',
    );
  }

  /** A hit answered at the front door, with the request id and log line it would have had behind it. */
  function answerAtFrontDoor(req: IncomingMessage, res: ServerResponse, entry: CachedResponse, status: 'HIT-L1' | 'HIT-L2' | 'STALE', startedAt: number) {
    const requestId = requestIdOf(req);
    if (status === 'STALE') stale.inc();
    else (status === 'HIT-L1' ? l1Hits : l2Hits).inc();
    answer(res, entry, Date.now(), status, requestId);
    logCompleted(req, requestId, 200, startedAt, status);
  }

  function refuseAtFrontDoor(req: IncomingMessage, res: ServerResponse, refusal: FrontDoorRefusal, startedAt: number) {
    const requestId = requestIdOf(req);
    res.writeHead(refusal.status, { ...refusal.headers, [REQUEST_ID_HEADER]: requestId });
    res.end(refusal.body);
    logCompleted(req, requestId, refusal.status, startedAt);
  }

  /** Hands the request, its body read, to express: with the parse express's JSON parser would have made. */
  function handOver(req: IncomingMessage, res: ServerResponse, app: RequestListener, raw: Buffer, missed?: Candidate) {
    req.rawBody = raw;
    const parsed = parseJsonBody(raw);
    if ('body' in parsed) (req as Request).body = parsed.body;
    else handedOver.set(req, parsed);
    if (missed) handedOver.set(req, { missed });
    app(req, res);
  }

  /** First-level hits are answered here and now, without a promise in between. */
  function frontDoor(req: IncomingMessage, res: ServerResponse, raw: Buffer, app: RequestListener, startedAt: number, viewer: Viewer | null) {
    const found = candidate(digestOf(req.headers.accept, raw), viewer, undefined);
    const local = firstLevelEntry(found, startedAt);
    if (local && (local.entry.freshUntil > startedAt || revalidating.covers(local.key, startedAt))) {
      answerAtFrontDoor(req, res, local.entry, local.entry.freshUntil > startedAt ? 'HIT-L1' : 'STALE', startedAt);
      return;
    }
    const parsed = parseJsonBody(raw);
    // A stale entry nobody revalidates yet goes to express, which answers it and starts that.
    if (local || !('body' in parsed) || !isReadOperation(parsed.body)) {
      handOver(req, res, app, raw);
      return;
    }
    found.coalescible = parsed.body.query !== undefined;
    secondLevelEntry(found).then(
      (remote) => {
        if (remote && remote.entry.freshUntil > Date.now()) answerAtFrontDoor(req, res, remote.entry, 'HIT-L2', startedAt);
        else handOver(req, res, app, raw, remote ? undefined : found);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'response cache: front door failed');
        res.destroy();
      },
    );
  }

  /** The viewer is known: the gate first (rate limits), then the cache. */
  function throughGate(req: IncomingMessage, res: ServerResponse, raw: Buffer, app: RequestListener, startedAt: number, viewer: Viewer | null) {
    const refusal = gate?.(req, viewer);
    if (refusal === undefined) frontDoor(req, res, raw, app, startedAt, viewer);
    else if (!(refusal instanceof Promise)) refuseAtFrontDoor(req, res, refusal, startedAt);
    else {
      refusal.then(
        (refused) => (refused ? refuseAtFrontDoor(req, res, refused, startedAt) : frontDoor(req, res, raw, app, startedAt, viewer)),
        (error: unknown) => {
          logger.error({ err: error }, 'response cache: front door gate failed');
          res.destroy();
        },
      );
    }
  }

  function front(app: RequestListener): RequestListener {
    return (req, res) => {
      const length = frontDoorLength(req);
      if (length === undefined) {
        app(req, res);
        return;
      }
      readBody(req, length, (raw) => {
        const startedAt = Date.now();
        const viewer = frontDoorViewer(req);
        // A token not known good is left to express's `useAuth`, which answers what is wrong with it.
        if (viewer === undefined) handOver(req, res, app, raw);
        else if (!(viewer instanceof Promise)) throughGate(req, res, raw, app, startedAt, viewer);
        else {
          viewer.then(
            (verified) => (verified === undefined ? handOver(req, res, app, raw) : throughGate(req, res, raw, app, startedAt, verified)),
            () => handOver(req, res, app, raw),
          );
        }
      });
    };
  }

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
        if (l1Enabled && epoch !== null && listener.admits(epoch)) l1.set(entryKey, entry);
      } catch (error) {
        errors.inc({ operation: 'store' });
        logger.warn({ err: error }, 'response cache: could not store a response');
      }
    }

    /** Once per stale entry across all gateways: execute again in the background and store the answer. */
    function revalidate(req: Request, res: Response, candidate: Candidate, entryKey: string): void {
      if (flights.has(candidate)) return;
      revalidating.mark(entryKey, Date.now() + REVALIDATION_LOCK_MS);
      void (async () => {
        const claim = await store.claimRevalidation(entryKey, REVALIDATION_LOCK_MS);
        if (claim === null) {
          // Another gateway revalidates it; should that one fail, this one tries again soon.
          revalidating.mark(entryKey, Date.now() + REVALIDATION_RECHECK_MS);
          return;
        }
        try {
          const revalidation = { ...candidate, since: { epoch: await store.epoch(), at: Date.now() } };
          await flights.run(revalidation, () => execute(req, res, revalidation));
        } finally {
          revalidating.clear(entryKey);
          await store.releaseRevalidation(entryKey, claim);
        }
      })().catch((error: unknown) => {
        errors.inc({ operation: 'revalidate' });
        logger.warn({ err: error }, 'response cache: revalidation failed');
      });
    }

    function serve(req: Request, res: Response, found: Candidate, key: string, entry: CachedResponse, level: 'L1' | 'L2', now: number) {
      if (entry.freshUntil > now) {
        (level === 'L1' ? l1Hits : l2Hits).inc();
        answer(res, entry, now, level === 'L1' ? 'HIT-L1' : 'HIT-L2');
        return;
      }
      stale.inc();
      answer(res, entry, now, 'STALE');
      revalidate(req, res, found, key);
    }

    function miss(res: Response, next: NextFunction, found: Candidate) {
      misses.inc();
      pending.set(res, found);
      next();
    }

    const lookup: RequestHandler = (req, res, next) => {
      const learnt = handedOver.get(req);
      if (learnt && 'error' in learnt) {
        next(learnt.error);
        return;
      }
      const found = candidateOf(req, res);
      if (!found) {
        next();
        return;
      }
      if (learnt) {
        // The front door looked in both levels already, for the same viewer.
        found.since = learnt.missed.since;
        miss(res, next, found);
        return;
      }
      const local = firstLevelEntry(found, Date.now());
      if (local) {
        serve(req, res, found, local.key, local.entry, 'L1', Date.now());
        return;
      }
      secondLevelEntry(found)
        .then((remote) => (remote ? serve(req, res, found, remote.key, remote.entry, 'L2', Date.now()) : miss(res, next, found)))
        .catch(next);
    };

    const executeMiss: RequestHandler = async (req, res, next) => {
      const candidate = pending.get(res);
      if (!candidate) {
        next();
        return;
      }
      // An identical miss may have landed since the lookup (a flight is shared only while in the air).
      const landed = firstLevelEntry(candidate, Date.now());
      if (landed && landed.entry.freshUntil > Date.now()) {
        serve(req, res, candidate, landed.key, landed.entry, 'L1', Date.now());
        return;
      }
      send(res, await flights.run(candidate, () => execute(req, res, candidate)));
    };

    return { lookup, execute: executeMiss };
  }

  return {
    plugin,
    front,
    handlers,
    async close() {
      clearInterval(sweeper);
      await listener.close();
      // Called once requests have drained: nothing is left to wait for, and a Redis that is away must not hold the shutdown.
      reads.disconnect();
      writes.disconnect();
    },
  };
}
