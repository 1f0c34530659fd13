const TOKEN_KEY = 'shopgraph.token';

type Listener = (token: string | null) => void;
const listeners = new Set<Listener>();

/**
 * The bearer token, kept in localStorage (never in a URL) so a reload or a new tab stays
 * logged in. The Apollo link reads it per request; React subscribes to changes.
 */
export const sessionStore = {
  get(): string | null {
    return localStorage.getItem(TOKEN_KEY);
  },
  set(token: string | null): void {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
    for (const listener of listeners) listener(token);
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Logging in or out in another tab applies here too.
window.addEventListener('storage', (event) => {
  if (event.key === TOKEN_KEY) for (const listener of listeners) listener(event.newValue);
});
