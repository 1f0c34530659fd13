import { REQUEST_ID_HEADER } from '@shopgraph/common';
import cors from 'cors';
import type { PluginWith } from './plugin.js';

export interface CorsOptions {
  /** Exact origins (scheme, host and port) whose browser pages may call the gateway. */
  origins: string[];
}

/**
 * CORS for web clients on the allow-list only. Bearer tokens travel in a header, not a cookie,
 * so credentials stay off; preflights are cached for ten minutes.
 */
export function useCors({ origins }: CorsOptions): PluginWith<'onRequest'> {
  return { name: 'cors', onRequest: cors({ origin: origins, exposedHeaders: [REQUEST_ID_HEADER], maxAge: 600 }) };
}
