import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { OperationLimits } from '../env.js';

export interface ArmorOptions {
  limits: OperationLimits;
  /** Field suggestions ("Did you mean …?") map the schema for a stranger: hidden in production. */
  production: boolean;
}

/**
 * Operation limits (depth, aliases, tokens, directives, cost) checked before planning. Armor's
 * limits are validation rules, so Apollo Server answers an over-limit operation with
 * `GRAPHQL_VALIDATION_FAILED` and HTTP 400, as the contract asks; the token limit runs while
 * parsing and fails the same way.
 */
export function useArmor({ limits, production }: ArmorOptions) {
  return new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    maxTokens: { n: limits.maxTokens },
    maxDirectives: { n: limits.maxDirectives },
    costLimit: { maxCost: limits.maxCost },
    blockFieldSuggestion: { enabled: production },
  }).protect();
}
