import type { Context } from '../context.js';
import type { UserRow } from '../db/schema.js';
import { userEmail } from '../services/user-service.js';

export const User = {
  __resolveReference: (reference: { id: string }, ctx: Context) => ctx.loaders.userById.load(reference.id),
  email: (user: UserRow, _args: unknown, ctx: Context) => userEmail(ctx, user),
};
