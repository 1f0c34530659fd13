import type { Db } from '@shopgraph/common';
import type { RequestBase } from '@shopgraph/common/subgraph';
import { createLoaders, type Loaders } from './loaders.js';

export interface Context extends RequestBase {
  db: Db;
  loaders: Loaders;
}

export function createContext(db: Db, base: RequestBase, batchLoads = true): Context {
  return { ...base, db, loaders: createLoaders(db, batchLoads) };
}
