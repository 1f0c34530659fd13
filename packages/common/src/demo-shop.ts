import { ConfigError } from './env.js';

/**
 * Every demo seed (subgraphs/<name>/src/seed.ts) calls this first: the demo customers' password
 * is published, so their accounts must never exist where NODE_ENV=production, whoever asks.
 */
export function refuseDemoDataInProduction(nodeEnv: string): void {
  if (nodeEnv === 'production') throw new ConfigError('the demo shop is never seeded when NODE_ENV=production');
}
