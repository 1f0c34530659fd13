import type { Context } from '../context.js';
import { getUser, getViewerUser } from '../services/user-service.js';

export const Query = {
  me: (_: unknown, _args: unknown, ctx: Context) => getViewerUser(ctx),
  user: (_: unknown, args: { id: string }, ctx: Context) => getUser(ctx, args.id),
};
