import { describe, expect, it } from 'vitest';
import { entityCacheProblems, entityCacheRules, ruleFor } from './entity-cache-env.js';

describe('SUBGRAPH_ENTITY_CACHE_<NAME>', () => {
  it('reads a rule for the subgraph and rules per type, the type’s winning', () => {
    const { rules, problems } = entityCacheRules({
      SUBGRAPH_ENTITY_CACHE_PRODUCTS: '60, Review=off, Variant=10',
      SUBGRAPH_ENTITY_CACHE_USERS: 'off,User=on',
      SUBGRAPH_ENTITY_CACHE_ORDER_HISTORY: 'off',
      UNRELATED: 'off',
    });
    expect(problems).toEqual([]);
    const config = { maxTtlS: 300, rules };
    expect(ruleFor(config, 'PRODUCTS', 'Product')).toEqual({ enabled: true, maxTtlS: 60 });
    expect(ruleFor(config, 'PRODUCTS', 'Review')).toEqual({ enabled: false, maxTtlS: 60 });
    expect(ruleFor(config, 'PRODUCTS', 'Variant')).toEqual({ enabled: true, maxTtlS: 10 });
    expect(ruleFor(config, 'USERS', 'User')).toEqual({ enabled: true, maxTtlS: 300 });
    expect(ruleFor(config, 'USERS', 'Address')).toEqual({ enabled: false, maxTtlS: 300 });
    expect(ruleFor(config, 'ORDER_HISTORY', 'Order')).toEqual({ enabled: false, maxTtlS: 300 });
    expect(ruleFor(config, 'PAYMENTS', 'Payment')).toEqual({ enabled: true, maxTtlS: 300 });
  });

  it('lists every malformed rule, one line each', () => {
    const { problems } = entityCacheRules({ SUBGRAPH_ENTITY_CACHE_PRODUCTS: 'sometimes,Product=0,9Type=on', SUBGRAPH_ENTITY_CACHE_USERS: '-5' });
    expect(problems).toEqual([
      '  - SUBGRAPH_ENTITY_CACHE_PRODUCTS: "sometimes" is none of off, on, <seconds>, <Type>=off|on|<seconds>',
      '  - SUBGRAPH_ENTITY_CACHE_PRODUCTS: "Product=0" is none of off, on, <seconds>, <Type>=off|on|<seconds>',
      '  - SUBGRAPH_ENTITY_CACHE_PRODUCTS: "9Type=on" is none of off, on, <seconds>, <Type>=off|on|<seconds>',
      '  - SUBGRAPH_ENTITY_CACHE_USERS: "-5" is none of off, on, <seconds>, <Type>=off|on|<seconds>',
    ]);
  });

  it('refuses the debugging extension in production only', () => {
    expect(entityCacheProblems({ NODE_ENV: 'production', ENTITY_CACHE_EXTENSION: true })).toHaveLength(1);
    expect(entityCacheProblems({ NODE_ENV: 'production', ENTITY_CACHE_EXTENSION: false })).toEqual([]);
    expect(entityCacheProblems({ NODE_ENV: 'development', ENTITY_CACHE_EXTENSION: true })).toEqual([]);
  });
});
