import type { UserResolvers } from '../generated/resolvers.js';
import { userEmail } from '../services/user-service.js';

export const User: UserResolvers = {
  __resolveReference: (reference, ctx) => ctx.loaders.userById.load(reference.id),
  email: (user, _args, ctx) => userEmail(ctx, user),
};
