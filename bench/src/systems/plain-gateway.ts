/**
 * The peer: a plain `@apollo/gateway` behind `@apollo/server`'s standalone server, none of our
 * plugins (no limits, metrics, logging or cache). It signs subgraph calls exactly as our gateway
 * does, because the subgraphs answer nothing unsigned, for the viewer a valid bearer token names
 * (none without one): a customer's private read needs it, and checking a token is work our
 * gateway does too.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { signRequest, verifyToken, type Viewer } from '@shopgraph/common';

const { PORT, SUPERGRAPH_PATH, GATEWAY_SECRET, JWT_SECRET } = process.env;
if (!PORT || !SUPERGRAPH_PATH || !GATEWAY_SECRET || !JWT_SECRET) throw new Error('PORT, SUPERGRAPH_PATH, GATEWAY_SECRET and JWT_SECRET are required');
const secret = GATEWAY_SECRET;
const jwtSecret = JWT_SECRET;

interface Context {
  viewer: Viewer | null;
}

/** Carries the viewer from `willSendRequest` (which sees the context) to `fetcher` (which sees the final body); never sent. */
const VIEWER_HEADER = 'x-bench-viewer';

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8'),
  buildService: ({ name, url }) =>
    new RemoteGraphQLDataSource<Context>({
      // The same override our gateway honours: <NAME>_URL points at this run's subgraph.
      url: process.env[`${name.toUpperCase()}_URL`] ?? url,
      willSendRequest({ request, context }) {
        if (context.viewer) request.http?.headers.set(VIEWER_HEADER, JSON.stringify(context.viewer));
      },
      fetcher: async (target, init = {}) => {
        const body = init.body === undefined ? '' : init.body.toString();
        const method = init.method ?? 'POST';
        const { [VIEWER_HEADER]: viewer, ...headers } = (init.headers ?? {}) as Record<string, string>;
        const signature = signRequest(secret, { method, url: target, audience: name, body }, viewer ? (JSON.parse(viewer) as Viewer) : null);
        return fetch(target, { method, headers: { ...headers, ...signature }, body });
      },
    }),
});

const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(PORT), host: '127.0.0.1' },
  context: async ({ req }) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const verified = token ? await verifyToken(jwtSecret, token) : null;
    return { viewer: verified ? { ...verified.viewer, sessionId: verified.session.id } : null };
  },
});
console.log(`plain gateway at ${url}`);
const stop = () => server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
