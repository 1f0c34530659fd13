import type { Logger, Viewer } from '@shopgraph/common';

/** What every gateway request carries through Apollo Server and into the subgraph calls. */
export interface GatewayContext {
  /** Verified from the bearer token by `useAuth`; subgraphs learn it only from the signed header. */
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
}
