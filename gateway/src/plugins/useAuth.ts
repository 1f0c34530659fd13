import { ErrorCode, verifyToken, type Viewer } from '@shopgraph/common';
import type { RequestHandler, Response } from 'express';

export interface AuthOptions {
  jwtSecret: string;
  /** Called for each refused token (metrics). */
  onRejected?: () => void;
}

const BEARER = /^Bearer +([\w-]+\.[\w-]+\.[\w-]+)$/i;

/** The JWT of an `Authorization: Bearer <jwt>` header, unverified; undefined for anything else. */
export const bearerTokenOf = (header: string): string | undefined => BEARER.exec(header)?.[1];

/**
 * Verifies `Authorization: Bearer <jwt>` before anything else looks at the request. No header
 * means an anonymous viewer; a header that is not a valid, unexpired token of ours is refused
 * with 401 and `UNAUTHENTICATED` rather than quietly served as anonymous, so a client with an
 * expired session learns it at once.
 */
export function useAuth({ jwtSecret, onRejected }: AuthOptions): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    if (!header) {
      res.locals.viewer = null;
      next();
      return;
    }
    const token = bearerTokenOf(header);
    const viewer = token ? await verifyToken(jwtSecret, token) : null;
    if (!viewer) {
      onRejected?.();
      res
        .status(401)
        .set('www-authenticate', 'Bearer error="invalid_token"')
        .json({ errors: [{ message: 'The bearer token is invalid or has expired.', extensions: { code: ErrorCode.UNAUTHENTICATED } }] });
      return;
    }
    res.locals.viewer = viewer;
    next();
  };
}

/** The viewer `useAuth` verified for this response's request. */
export const viewerOf = (res: Response): Viewer | null => (res.locals.viewer as Viewer | null | undefined) ?? null;
