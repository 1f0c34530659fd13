import type { MutationResolvers } from '../generated/resolvers.js';
import { logout, logoutEverywhere } from '../services/session-service.js';
import { login, register } from '../services/user-service.js';

export const Mutation: MutationResolvers = {
  register: (_, args, ctx) => register(ctx, args.input),
  login: (_, args, ctx) => login(ctx, args.email, args.password),
  logout: (_, _args, ctx) => logout(ctx),
  logoutEverywhere: (_, _args, ctx) => logoutEverywhere(ctx),
};
