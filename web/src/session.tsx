import { useApolloClient, useQuery } from '@apollo/client/react';
import { createContext, useContext, useEffect, useMemo, useRef, useSyncExternalStore, type ReactNode } from 'react';
import { LOGOUT, ME, type Viewer } from './graph';
import { sessionStore } from './session-store';

export interface Session {
  /** The logged-in user; null when logged out or not known yet. */
  viewer: Viewer | null;
  /** True while the user behind a stored token is being fetched. */
  loading: boolean;
  /** Why the user could not be fetched (the shop unreachable, say); the token is kept. */
  error: unknown;
  logIn(token: string): void;
  logOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useApolloClient();
  const token = useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
  // Always active (an anonymous viewer gets null) so that the store reset below is the only
  // thing that refetches it: a second fetch racing the reset could lose the new viewer.
  const { data, loading, error } = useQuery(ME);

  // Another identity sees other orders and other fields: start from an empty cache and
  // refetch what is on screen, whether the change came from here, another tab or a refused token.
  const previousToken = useRef(token);
  useEffect(() => {
    if (previousToken.current === token) return;
    previousToken.current = token;
    // A query in flight during the reset rejects; the refetch that follows supersedes it.
    client.resetStore().catch(() => undefined);
  }, [client, token]);

  const session = useMemo<Session>(
    () => ({
      viewer: token ? (data?.me ?? null) : null,
      loading: Boolean(token) && loading,
      error: token ? error : undefined,
      logIn: (next) => sessionStore.set(next),
      // The server ends the session first (the request still carries the token); the token is
      // dropped here whatever it answers, so a shop that cannot be reached still logs out locally.
      logOut: () => {
        client
          .mutate({ mutation: LOGOUT })
          .catch(() => undefined)
          .finally(() => sessionStore.set(null));
      },
    }),
    [client, token, data, loading, error],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
