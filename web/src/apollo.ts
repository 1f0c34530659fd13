import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { ErrorLink } from '@apollo/client/link/error';
import { relayStylePagination } from '@apollo/client/utilities';
import { isSessionRefused } from './errors';
import { sessionStore } from './session-store';

/** The normalized cache: every Product, Order, Payment and User is stored once, by id. */
export function createCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          // "Load more" appends pages; each search term keeps its own list.
          products: relayStylePagination(['search']),
          orders: relayStylePagination(),
          // A product already in the cache (from the catalog) shows at once on its own page.
          product: {
            read: (existing, { args, toReference }) =>
              existing ?? (args?.id ? toReference({ __typename: 'Product', id: args.id }) : undefined),
          },
          order: {
            read: (existing, { args, toReference }) =>
              existing ?? (args?.id ? toReference({ __typename: 'Order', id: args.id }) : undefined),
          },
        },
      },
    },
  });
}

/** The client every page uses: `/graphql` on this origin (the web server proxies it to the gateway). */
export function createApolloClient(): ApolloClient {
  const auth = new ApolloLink((operation, forward) => {
    const token = sessionStore.get();
    if (token) {
      operation.setContext(({ headers = {} }: { headers?: Record<string, string> }) => ({
        headers: { ...headers, authorization: `Bearer ${token}` },
      }));
    }
    return forward(operation);
  });
  // A token the gateway refuses (expired, or signed with an old secret) is dropped, so the
  // shopper is asked to log in again instead of every request failing.
  const dropRefusedSession = new ErrorLink(({ error }) => {
    if (isSessionRefused(error) && sessionStore.get()) sessionStore.set(null);
  });
  return new ApolloClient({
    link: ApolloLink.from([dropRefusedSession, auth, new HttpLink({ uri: '/graphql' })]),
    cache: createCache(),
  });
}
