import { and, eq, ne, sql } from 'drizzle-orm';
import { ConfigError, type Db } from '@shopgraph/common';
import { z } from 'zod';
import { users, type UserRow } from '../db/schema.js';
import { hashPassword, verifyPassword } from './password.js';
import { emailSchema, passwordSchema } from './user-service.js';

const adminSchema = z.object({ email: emailSchema, password: passwordSchema });

export interface AdminCredentials {
  email: string;
  password: string;
}

/** What ensureAdmin had to do; `unchanged` on every start after the first. */
export type EnsureAdminResult = 'created' | 'updated' | 'unchanged';

/**
 * Makes sure the configured admin can sign in: creates the account (role ADMIN) when missing;
 * otherwise gives it role ADMIN and, only if the password no longer verifies, the configured
 * password. Either way it becomes the bootstrap admin (see `demoteFormerAdmins`). A new password
 * ends the account's sessions (the users table's trigger). Safe when several processes start at once.
 */
export async function ensureAdmin(db: Db, credentials: AdminCredentials): Promise<EnsureAdminResult> {
  const parsed = adminSchema.safeParse(credentials);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - admin ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const { email, password } = parsed.data;
  const findAdmin = async () => (await db.select().from(users).where(eq(users.email, email)))[0];

  let existing: UserRow | undefined = await findAdmin();
  if (!existing) {
    const [created] = await db
      .insert(users)
      .values({ email, name: 'Admin', role: 'ADMIN', bootstrapAdmin: true, passwordHash: await hashPassword(password) })
      .onConflictDoNothing({ target: users.email })
      .returning({ id: users.id });
    if (created) return 'created';
    // Another process created the account between our lookup and our insert.
    existing = await findAdmin();
    if (!existing) throw new Error(`The admin account ${email} vanished while it was being ensured.`);
  }

  const passwordMatches = await verifyPassword(password, existing.passwordHash);
  if (existing.role === 'ADMIN' && existing.bootstrapAdmin && passwordMatches) return 'unchanged';
  await db
    .update(users)
    .set({
      role: 'ADMIN',
      bootstrapAdmin: true,
      // Rehash only when needed: a fresh salt on every start would rewrite the row for nothing.
      ...(passwordMatches ? {} : { passwordHash: await hashPassword(password) }),
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, existing.id));
  return 'updated';
}

/**
 * The configured admin is the only bootstrap admin: an account an earlier ADMIN_EMAIL made admin
 * becomes a CUSTOMER, and the users table's trigger ends its sessions. Returns the emails demoted.
 */
export async function demoteFormerAdmins(db: Db, adminEmail: string): Promise<string[]> {
  const demoted = await db
    .update(users)
    .set({ role: 'CUSTOMER', bootstrapAdmin: false, updatedAt: sql`now()` })
    .where(and(eq(users.bootstrapAdmin, true), ne(users.email, adminEmail.trim().toLowerCase())))
    .returning({ email: users.email });
  return demoted.map((row) => row.email);
}
