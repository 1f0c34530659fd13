import { eq, sql } from 'drizzle-orm';
import { publishEndedSession, requireViewer, sessionsUnavailable, unauthenticated } from '@shopgraph/common';
import type { Context } from '../context.js';
import { users } from '../db/schema.js';

/** Ends the session of the bearer token the request came with: the gateway refuses it from now on. */
export async function logout(ctx: Context): Promise<boolean> {
  const viewer = requireViewer(ctx.viewer);
  if (!viewer.sessionId) throw unauthenticated('This request was not made with a bearer token.');
  const { store, tokenTtlS } = ctx.sessions;
  // The token was issued at most one lifetime ago: it is refused for as long as it could be used.
  await publishEndedSession(store, viewer.id, viewer.sessionId, Date.now() + tokenTtlS * 1000).catch((error: unknown) => {
    ctx.logger.error({ err: error }, 'logout not published to Redis');
    throw sessionsUnavailable();
  });
  return true;
}

/**
 * Ends every session of the viewer: their token version is raised (the users table's trigger
 * records it) and published, so every token issued before now is refused.
 */
export async function logoutEverywhere(ctx: Context): Promise<boolean> {
  const viewer = requireViewer(ctx.viewer);
  const [raised] = await ctx.db
    .update(users)
    .set({ tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: sql`now()` })
    .where(eq(users.id, viewer.id))
    .returning({ tokenVersion: users.tokenVersion });
  // A deleted account's sessions ended with its row.
  if (!raised) throw unauthenticated();
  // Committed already; should Redis be away, the publisher publishes it once Redis is back.
  await ctx.sessions.publisher.publish(viewer.id, raised.tokenVersion).catch((error: unknown) => {
    ctx.logger.error({ err: error }, 'logoutEverywhere not published to Redis');
    throw sessionsUnavailable();
  });
  return true;
}
