import DataLoader from 'dataloader';
import { inKeyOrder, isAnyOf, prepared, type Db } from '@shopgraph/common';
import { productColumns, type Product } from './db/columns.js';
import { products } from './db/schema.js';

/**
 * Per-request batch loaders: one SQL statement per entity type per tick, whatever the fan-out.
 * `batch: false` (DATALOADER_BATCH=false) loads one key per statement, for the benchmark's baseline.
 */
export function createLoaders(db: Db, batch = true) {
  const productsByIds = prepared(db, 'products_by_ids', (db) => db.select(productColumns).from(products).where(isAnyOf(products.id, 'ids')));
  return {
    /** Deleted products included: orders that hold them still resolve them. */
    productById: new DataLoader<string, Product | null>(async (ids) => inKeyOrder(ids, await productsByIds.execute({ ids })), { batch }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
