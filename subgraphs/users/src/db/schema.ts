import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { roles } from '@shopgraph/common';

// Millisecond precision: timestamps round-trip through JS Dates exactly.
const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
};

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored lower-cased, so the unique index makes addresses unique whatever their case. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: text('role', { enum: roles }).notNull().default('CUSTOMER'),
    /** `scrypt$N$r$p$salt$hash`, see services/password.ts. */
    passwordHash: text('password_hash').notNull(),
    /**
     * Raised whenever every session of the user must end (logoutEverywhere; and, by the trigger of
     * drizzle/0001_session_ends.sql, any change of role or password and the deletion of the row):
     * tokens carry the version they were issued at, and the gateway refuses older ones.
     */
    tokenVersion: integer('token_version').notNull().default(0),
    /** The account `ensureAdmin` made admin from ADMIN_EMAIL; demoted when ADMIN_EMAIL names another. */
    bootstrapAdmin: boolean('bootstrap_admin').notNull().default(false),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('users_email_key').on(t.email),
    check('users_role_check', sql`${t.role} in ('CUSTOMER', 'ADMIN')`),
  ],
);

export type UserRow = typeof users.$inferSelect;

/**
 * Every raise of a user's token version, written by the trigger in the transaction that made it
 * (drizzle/0001_session_ends.sql) and announced on the `shopgraph_session_ends` channel: the
 * users subgraph publishes each to Redis, and at start republishes those younger than a token.
 */
export const sessionEnds = pgTable(
  'session_ends',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** No foreign key: the row of a deleted user outlives it. */
    userId: uuid('user_id').notNull(),
    tokenVersion: integer('token_version').notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('session_ends_ended_at_idx').on(t.endedAt)],
);
