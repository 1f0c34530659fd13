import type { Db } from '@shopgraph/common';
import type { RequestBase } from '@shopgraph/common/subgraph';
import type { PaymentProvider } from '@shopgraph/payment-provider';
import { createLoaders, type Loaders } from './loaders.js';

export interface Context extends RequestBase {
  db: Db;
  loaders: Loaders;
  /** Tokenizes cards for payOrder; charges happen in the workers, not in a request. */
  provider: PaymentProvider;
}

export function createContext(db: Db, provider: PaymentProvider, base: RequestBase, batchLoads = true): Context {
  return { ...base, db, provider, loaders: createLoaders(db, batchLoads) };
}
