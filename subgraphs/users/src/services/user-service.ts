import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import {
  canSeeUserData,
  conflict,
  forbidden,
  isUniqueViolation,
  issueToken,
  notFound,
  parseId,
  parseInput,
  unauthenticated,
} from '@shopgraph/common';
import { z } from 'zod';
import type { Context } from '../context.js';
import { users, type UserRow } from '../db/schema.js';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.js';

/** Emails are compared and stored lower-cased; 254 is the longest address SMTP can deliver to. */
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be a valid email address'));
export const passwordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(200, 'must be at most 200 characters');
const nameSchema = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

const registerSchema = z.object({ email: emailSchema, password: passwordSchema, name: nameSchema });

// Only sizes are checked: a login never says whether an address is well-formed, registered or neither.
const loginSchema = z.object({
  email: z.string().trim().toLowerCase().max(254, 'must be at most 254 characters'),
  password: z.string().max(200, 'must be at most 200 characters'),
});

const WRONG_LOGIN = 'Wrong email or password.';

export interface AuthPayload {
  token: string;
  user: UserRow;
}

async function signIn(ctx: Context, user: UserRow): Promise<AuthPayload> {
  // The request came in anonymous, but the caller has just proved who they are: the payload may show their own data.
  ctx.authenticatedUserIds.add(user.id);
  // A new session, at the user's current token version: ended by logout, or with all others by a raise of the version.
  const { jwtSecret, tokenTtlS } = ctx.sessions;
  const session = { id: randomUUID(), version: user.tokenVersion };
  return { token: await issueToken(jwtSecret, { id: user.id, role: user.role }, { ttlS: tokenTtlS, session }), user };
}

/** Creates a CUSTOMER account and signs it in. A taken email, even in a concurrent registration, is CONFLICT. */
export async function register(ctx: Context, rawInput: unknown): Promise<AuthPayload> {
  const input = parseInput(registerSchema, rawInput, 'input');
  const passwordHash = await hashPassword(input.password);
  const [created] = await ctx.db
    .insert(users)
    .values({ email: input.email, name: input.name, role: 'CUSTOMER', passwordHash })
    .returning()
    .catch((error: unknown) => {
      if (isUniqueViolation(error, 'users_email_key')) {
        throw conflict('An account with this email already exists.', { field: 'email' });
      }
      throw error;
    });
  return signIn(ctx, created!);
}

/** Signs a user in. An unknown email and a wrong password get the same answer after the same work. */
export async function login(ctx: Context, rawEmail: string, rawPassword: string): Promise<AuthPayload> {
  const { email, password } = parseInput(loginSchema, { email: rawEmail, password: rawPassword });
  const [user] = await ctx.db.select().from(users).where(eq(users.email, email));
  const matches = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user || !matches) throw unauthenticated(WRONG_LOGIN);
  return signIn(ctx, user);
}

/** The signed-in user, or null for an anonymous request. */
export async function getViewerUser(ctx: Context): Promise<UserRow | null> {
  return ctx.viewer ? ctx.loaders.userById.load(ctx.viewer.id) : null;
}

/** Self or ADMIN; anyone else gets NOT_FOUND, exactly as for an id that names nobody. */
export async function getUser(ctx: Context, id: string): Promise<UserRow> {
  const userId = parseId(id);
  // Refused before the lookup: whether the account exists must not show in the answer.
  const user = canSeeUserData(ctx.viewer, userId) ? await ctx.loaders.userById.load(userId) : null;
  if (!user) throw notFound('User', id);
  return user;
}

/** The user's email for self, ADMIN, or whoever signed in as the user in this very request. */
export function userEmail(ctx: Context, user: UserRow): string {
  if (!canSeeUserData(ctx.viewer, user.id) && !ctx.authenticatedUserIds.has(user.id)) {
    throw forbidden("Only the user and admins may see a user's email.");
  }
  return user.email;
}
