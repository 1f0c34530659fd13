import { ErrorCode, SESSIONS_UNAVAILABLE, verifyToken, type Viewer } from '@shopgraph/common';
import type { RequestHandler, Response } from 'express';
import type { SessionCheck } from '../auth/session-check.js';
import type { PluginWith } from './plugin.js';

export interface AuthOptions {
  jwtSecret: string;
  /** Refuses the tokens of ended sessions. */
  sessions: SessionCheck;
  /** Called for each refused token (metrics). */
  onRejected?: () => void;
}

const BEARER = /^Bearer +([\w-]+\.[\w-]+\.[\w-]+)$/i;

/** The JWT of an `Authorization: Bearer <jwt>` header, unverified; undefined for anything else. */
export const bearerTokenOf = (header: string): string | undefined => BEARER.exec(header)?.[1];

const refusal = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

/**
 * Verifies `Authorization: Bearer <jwt>` before anything else looks at the request. No header
 * means an anonymous viewer; a header that is not a valid, unexpired token of ours, or the token
 * of a session that has ended, is refused with 401 and `UNAUTHENTICATED` rather than quietly
 * served as anonymous, so a client with an expired session learns it at once. When the session
 * store cannot be asked the token is refused too (fail closed): 503 and `SESSIONS_UNAVAILABLE`.
 */
export function useAuth({ jwtSecret, sessions, onRejected }: AuthOptions): PluginWith<'onRequest'> {
  const unauthenticated = (res: Response, message: string) => {
    onRejected?.();
    res.status(401).set('www-authenticate', 'Bearer error="invalid_token"').json(refusal(message, ErrorCode.UNAUTHENTICATED));
  };
  const onRequest: RequestHandler = async (req, res, next) => {
    const header = req.headers.authorization;
    if (!header) {
      res.locals.viewer = null;
      next();
      return;
    }
    const token = bearerTokenOf(header);
    const verified = token ? await verifyToken(jwtSecret, token) : null;
    if (!verified) {
      unauthenticated(res, 'The bearer token is invalid or has expired.');
      return;
    }
    let live: boolean;
    try {
      live = await sessions.isLive(verified);
    } catch (error) {
      req.log?.error({ err: error }, 'session store unreachable: bearer token refused');
      res.status(503).set('retry-after', '1').json(refusal('Sessions cannot be checked right now; try again shortly.', SESSIONS_UNAVAILABLE));
      return;
    }
    if (!live) {
      unauthenticated(res, 'The session of this bearer token has ended.');
      return;
    }
    res.locals.viewer = { ...verified.viewer, sessionId: verified.session.id } satisfies Viewer;
    next();
  };
  return { name: 'auth', onRequest };
}

/** The viewer `useAuth` verified for this response's request. */
export const viewerOf = (res: Response): Viewer | null => (res.locals.viewer as Viewer | null | undefined) ?? null;
