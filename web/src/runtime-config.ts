import { useEffect, useState } from 'react';

/** What the web server tells the app at run time (`/config.json`), so one build serves every deployment. */
export interface RuntimeConfig {
  dashboardUrl: string;
}

let loaded: Promise<RuntimeConfig> | undefined;

function loadRuntimeConfig(): Promise<RuntimeConfig> {
  loaded ??= fetch('/config.json').then((response) => {
    if (!response.ok) throw new Error(`config.json answered ${response.status}`);
    return response.json() as Promise<RuntimeConfig>;
  });
  // A failed load is tried again by the next caller rather than remembered.
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}

export function useRuntimeConfig(): { config?: RuntimeConfig; error?: unknown } {
  const [state, setState] = useState<{ config?: RuntimeConfig; error?: unknown }>({});
  useEffect(() => {
    let current = true;
    loadRuntimeConfig().then(
      (config) => current && setState({ config }),
      (error: unknown) => current && setState({ error }),
    );
    return () => {
      current = false;
    };
  }, []);
  return state;
}
