import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import type { CachedResponse } from '@shopgraph/cache';
import type { Request, Response } from 'express';
import type { GatewayContext, GatewayContextFactory } from '../context.js';
import type { CacheDecisions, Decision } from './cache-decision.js';
import type { CacheLevels } from './cache-levels.js';
import type { CacheRequest } from './cache-request.js';
import type { Outcome } from './single-flight.js';
import type { SupergraphVersion } from './supergraph-version.js';

/**
 * Executes a miss as the Apollo middleware would, then stores the answer if the decision
 * (`cache-decision.ts`) says it may be kept: the execute → store end of the request path.
 */
export class CacheExecutor {
  private readonly swrMs: number;

  constructor(
    private readonly apollo: ApolloServer<GatewayContext>,
    private readonly context: GatewayContextFactory,
    private readonly decisions: CacheDecisions,
    private readonly levels: CacheLevels,
    swrSeconds: number,
    private readonly supergraph: SupergraphVersion,
  ) {
    this.swrMs = swrSeconds * 1000;
  }

  async execute(req: Request, res: Response, request: CacheRequest): Promise<Outcome> {
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
    this.decisions.want(httpGraphQLRequest);
    const response = await this.apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => this.context({ req, res }) });
    let body: Buffer;
    if (response.body.kind === 'complete') {
      body = Buffer.from(response.body.string);
    } else {
      // Incremental delivery needs graphql 17; should it come, the parts are sent whole, never kept.
      const parts: string[] = [];
      for await (const part of response.body.asyncIterator) parts.push(part);
      body = Buffer.from(parts.join(''));
    }
    const decision = this.decisions.of(httpGraphQLRequest);
    const outcome: Outcome = {
      status: response.status ?? 200,
      headers: [...response.headers].filter(([name]) => name !== 'content-length'),
      body,
      public: decision?.scope === 'PUBLIC',
    };
    if (decision) await this.keep(request, decision, outcome);
    return outcome;
  }

  /** PUBLIC answers under the public key, PRIVATE ones under the viewer's own (none for anonymous viewers). */
  private async keep(request: CacheRequest, decision: Decision, outcome: Outcome): Promise<void> {
    const entryKey = decision.scope === 'PUBLIC' ? request.publicKey : request.privateKey;
    // A reload while it ran: the answer may be the new supergraph's, under the old one's key.
    if (!entryKey || !request.since || request.version !== this.supergraph.current) return;
    const now = Date.now();
    const freshUntil = now + decision.maxAge * 1000;
    const entry: CachedResponse = {
      body: outcome.body,
      headers: outcome.headers,
      storedAt: now,
      freshUntil,
      staleUntil: freshUntil + Math.min(this.swrMs, decision.maxAge * 1000),
      tags: decision.tags,
    };
    await this.levels.keep(entryKey, entry, request.since);
  }
}
