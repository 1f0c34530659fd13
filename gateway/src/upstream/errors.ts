import { GraphQLError } from 'graphql';

/** A subgraph had no replica that answered (down, ejected, circuit open, or 502/503/504). */
export const SUBGRAPH_UNAVAILABLE = 'SUBGRAPH_UNAVAILABLE';
/** A subgraph did not answer within its timeout. */
export const SUBGRAPH_TIMEOUT = 'SUBGRAPH_TIMEOUT';

// The messages name neither the subgraph nor its address: which service runs where is the
// platform's business. The logs and /metrics say which one it was.

export const subgraphUnavailable = () =>
  new GraphQLError('A service this operation needs is unavailable; the fields it would have answered are null.', {
    extensions: { code: SUBGRAPH_UNAVAILABLE },
  });

export const subgraphTimeout = (timeoutMs: number) =>
  new GraphQLError(`A service this operation needs did not answer within ${timeoutMs} ms; the fields it would have answered are null.`, {
    extensions: { code: SUBGRAPH_TIMEOUT },
  });
