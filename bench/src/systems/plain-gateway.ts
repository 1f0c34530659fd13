/**
 * The peer: a plain `@apollo/gateway` behind `@apollo/server`'s standalone server, none of our
 * plugins (no auth, limits, metrics, logging or cache). It signs subgraph calls exactly as our
 * gateway does, with no viewer, because the subgraphs answer nothing unsigned.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { signRequest } from '@shopgraph/common';

const { PORT, SUPERGRAPH_PATH, GATEWAY_SECRET } = process.env;
if (!PORT || !SUPERGRAPH_PATH || !GATEWAY_SECRET) throw new Error('PORT, SUPERGRAPH_PATH and GATEWAY_SECRET are required');
const secret = GATEWAY_SECRET;

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8'),
  buildService: ({ name, url }) =>
    new RemoteGraphQLDataSource({
      // The same override our gateway honours: <NAME>_URL points at this run's subgraph.
      url: process.env[`${name.toUpperCase()}_URL`] ?? url,
      fetcher: async (target, init = {}) => {
        const body = init.body === undefined ? '' : init.body.toString();
        const method = init.method ?? 'POST';
        const signature = signRequest(secret, { method, url: target, audience: name, body }, null);
        return fetch(target, { method, headers: { ...init.headers, ...signature }, body });
      },
    }),
});

const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port: Number(PORT), host: '127.0.0.1' } });
console.log(`plain gateway at ${url}`);
const stop = () => server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
