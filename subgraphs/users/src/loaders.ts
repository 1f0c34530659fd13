import DataLoader from 'dataloader';
import { sql } from 'drizzle-orm';
import { idSchema, prepared, type Db } from '@shopgraph/common';
import { users, type UserRow } from './db/schema.js';

/**
 * Per-request batch loaders: one SQL statement per entity type per tick, whatever the fan-out.
 * `batch: false` (DATALOADER_BATCH=false) loads one key per statement, for the benchmark's baseline.
 */
export function createLoaders(db: Db, batch = true) {
  // One array parameter: the same statement for 1 id or 1000.
  const usersByIds = prepared(db, 'users_by_ids', (db) => db.select().from(users).where(sql`${users.id} = any(${sql.placeholder('ids')}::uuid[])`));
  return {
    /** Every user, whoever asks: callers decide who may see what. A malformed id names nobody. */
    userById: new DataLoader<string, UserRow | null>(async (ids) => {
      // A representation with a malformed id must not fail the cast for the whole batch.
      const wanted = [...new Set(ids.filter((id) => idSchema.safeParse(id).success).map((id) => id.toLowerCase()))];
      if (wanted.length === 0) return ids.map(() => null);
      const rows = await usersByIds.execute({ ids: wanted });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    }, { batch }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
