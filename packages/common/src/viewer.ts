import { forbidden, unauthenticated } from './errors.js';

export const roles = ['CUSTOMER', 'ADMIN'] as const;
export type Role = (typeof roles)[number];

/** The verified identity of whoever sent the request: set by the gateway, never by the client. */
export interface Viewer {
  id: string;
  role: Role;
  /** The sign-in (bearer token's `sid`) the request came with; `logout` ends it. */
  sessionId?: string;
}

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

export function requireAdmin(viewer: Viewer | null): Viewer {
  const signedIn = requireViewer(viewer);
  if (signedIn.role !== 'ADMIN') throw forbidden('Only an admin may do this.');
  return signedIn;
}

/** Self or ADMIN: the rule for a user's private data. */
export function canSeeUserData(viewer: Viewer | null, userId: string): boolean {
  return viewer !== null && (viewer.role === 'ADMIN' || viewer.id === userId);
}
