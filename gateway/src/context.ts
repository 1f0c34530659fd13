import type { Logger, Viewer } from '@shopgraph/common';
import type { Request, Response } from 'express';

/** What every gateway request carries through Apollo Server and into the subgraph calls. */
export interface GatewayContext {
  /** Verified from the bearer token by `useAuth`; subgraphs learn it only from the signed header. */
  viewer: Viewer | null;
  requestId: string;
  /** The client's address (`req.ip`: behind a proxy, as `TRUST_PROXY` allows), for ip-hash balancing. */
  clientIp: string;
  logger: Logger;
  /**
   * A subscription's read after an entity event. The event and the purge that came before it
   * (workers purge, then publish) reach this process on different Redis connections, so its
   * in-process first levels may not have dropped the old entry yet: such a read takes what Redis
   * holds, which the purge cleared before the event was sent.
   */
  afterEvent?: boolean;
}

/** Builds the context of a request express handles (the Apollo middleware's, and the response cache's executions). */
export type GatewayContextFactory = (args: { req: Request; res: Response }) => Promise<GatewayContext>;
