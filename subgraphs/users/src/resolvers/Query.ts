import type { QueryResolvers } from '../generated/resolvers.js';
import { getUser, getViewerUser } from '../services/user-service.js';

export const Query: QueryResolvers = {
  me: (_, _args, ctx) => getViewerUser(ctx),
  user: (_, args, ctx) => getUser(ctx, args.id),
};
