import type { Db } from '@shopgraph/common';
import type { RequestBase } from '@shopgraph/common/subgraph';
import { createLoaders, type Loaders } from './loaders.js';
import type { SessionPublisher } from './services/session-publisher.js';
import type { SessionStoreOptions } from '@shopgraph/common';

/** What issuing tokens and ending sessions needs, the same for every request. */
export interface SessionServices {
  /** Signs the bearer tokens register and login hand out. */
  jwtSecret: string;
  /** Lifetime of those tokens. */
  tokenTtlS: number;
  /** Where a logout is written for the gateway. */
  store: SessionStoreOptions;
  publisher: SessionPublisher;
}

export interface Context extends RequestBase {
  db: Db;
  loaders: Loaders;
  sessions: SessionServices;
  /** Users who registered or logged in during this request: their payload shows them their own data. */
  authenticatedUserIds: Set<string>;
}

export function createContext(db: Db, sessions: SessionServices, base: RequestBase, batchLoads = true): Context {
  return { ...base, db, sessions, loaders: createLoaders(db, batchLoads), authenticatedUserIds: new Set() };
}
