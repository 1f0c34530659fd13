import type { Context } from '../context.js';
import { login, register } from '../services/user-service.js';

export const Mutation = {
  register: (_: unknown, args: { input: unknown }, ctx: Context) => register(ctx, args.input),
  login: (_: unknown, args: { email: string; password: string }, ctx: Context) => login(ctx, args.email, args.password),
};
