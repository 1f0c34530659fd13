import type { Db } from '@shopgraph/common';
import type { RequestBase } from '@shopgraph/common/subgraph';
import { createLoaders, type Loaders } from './loaders.js';

export interface Context extends RequestBase {
  db: Db;
  loaders: Loaders;
  /** Signs the bearer tokens register and login hand out. */
  jwtSecret: string;
  /** Users who registered or logged in during this request: their payload shows them their own data. */
  authenticatedUserIds: Set<string>;
}

export function createContext(db: Db, jwtSecret: string, base: RequestBase, batchLoads = true): Context {
  return { ...base, db, jwtSecret, loaders: createLoaders(db, batchLoads), authenticatedUserIds: new Set() };
}
