import type { Context } from '../context.js';
import { logout, logoutEverywhere } from '../services/session-service.js';
import { login, register } from '../services/user-service.js';

export const Mutation = {
  register: (_: unknown, args: { input: unknown }, ctx: Context) => register(ctx, args.input),
  login: (_: unknown, args: { email: string; password: string }, ctx: Context) => login(ctx, args.email, args.password),
  logout: (_: unknown, _args: unknown, ctx: Context) => logout(ctx),
  logoutEverywhere: (_: unknown, _args: unknown, ctx: Context) => logoutEverywhere(ctx),
};
