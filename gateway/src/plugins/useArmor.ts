import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GatewayContext } from '../context.js';
import type { PluginWith } from './plugin.js';

export interface ArmorOptions {
  /** The largest operation accepted: nesting depth, aliases, directives and estimated cost. */
  limits: { maxDepth: number; maxAliases: number; maxDirectives: number; maxCost: number };
  /** Field suggestions ("Did you mean …?") map the schema for a stranger: hidden in production. */
  production: boolean;
}

/**
 * Operation limits (depth, aliases, directives, cost) checked before planning. Armor's limits
 * are validation rules, so Apollo Server answers an over-limit operation with
 * `GRAPHQL_VALIDATION_FAILED` and HTTP 400, as the contract asks. The token limit is
 * `useTokenLimit`, in front of Apollo Server: armor's own version of it answers HTTP 500.
 * Batched HTTP requests are refused, as armor has it: a batch would multiply every limit.
 */
export function useArmor({ limits, production }: ArmorOptions): PluginWith<'apolloPlugins' | 'validationRules' | 'refusesBatches'> {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    maxTokens: { enabled: false },
    maxDirectives: { n: limits.maxDirectives },
    costLimit: { maxCost: limits.maxCost },
    blockFieldSuggestion: { enabled: production },
  }).protect();
  return {
    name: 'armor',
    // Armor's typings name @apollo/server's CommonJS build, ours its ESM build: same runtime objects.
    apolloPlugins: armor.plugins as unknown as ApolloServerPlugin<GatewayContext>[],
    validationRules: armor.validationRules,
    refusesBatches: !armor.allowBatchedHttpRequests,
  };
}
