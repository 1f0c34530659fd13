import { z } from 'zod';

/** The entity cache's knobs; per subgraph and type, `SUBGRAPH_ENTITY_CACHE_<NAME>` (see `entityCacheRules`). */
export const entityCacheEnvSchema = z.object({
  /** on/off (also true/false, 1/0). */
  ENTITY_CACHE: z.stringbool().default(true),
  /** The longest an entity is kept, whatever its subgraph's hint allows. */
  ENTITY_CACHE_MAX_TTL_S: z.coerce.number().int().positive().default(300),
  /** Entities kept in process (the first level; its eviction policy is CACHE_L1_POLICY, CACHE_L1=off turns it off). */
  ENTITY_CACHE_L1_MAX_ENTRIES: z.coerce.number().int().positive().default(50_000),
  /** Adds `extensions.entityCache` (what each entity fetch found and fetched) to responses: for debugging, refused in production. */
  ENTITY_CACHE_EXTENSION: z.stringbool().default(false),
});

/** Whether entities of a subgraph (or of one of its types) are cached, and for at most how long. */
export interface EntityCacheRule {
  enabled?: boolean;
  maxTtlS?: number;
}

export interface SubgraphEntityRules extends EntityCacheRule {
  types: Record<string, EntityCacheRule>;
}

const PER_SUBGRAPH = 'SUBGRAPH_ENTITY_CACHE_';
const TYPE_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

function ruleOf(value: string): EntityCacheRule | undefined {
  if (value === 'off' || value === 'false') return { enabled: false };
  if (value === 'on' || value === 'true') return { enabled: true };
  return /^[1-9][0-9]*$/.test(value) ? { enabled: true, maxTtlS: Number(value) } : undefined;
}

/**
 * `SUBGRAPH_ENTITY_CACHE_<NAME>`: a comma list of rules for subgraph `<NAME>` (its env name:
 * `order-history` → `ORDER_HISTORY`). `off`, `on` or a number of seconds (the longest an entity is
 * kept) apply to the whole subgraph; `Type=off|on|<seconds>` to one type, and wins over the
 * subgraph's rule. `SUBGRAPH_ENTITY_CACHE_USERS=off`, `SUBGRAPH_ENTITY_CACHE_PRODUCTS=60,Review=off`.
 */
export function entityCacheRules(source: Record<string, string | undefined>) {
  const rules: Record<string, SubgraphEntityRules> = {};
  const problems: string[] = [];
  for (const [envName, value] of Object.entries(source)) {
    if (!envName.startsWith(PER_SUBGRAPH) || !value) continue;
    const subgraph: SubgraphEntityRules = { types: {} };
    for (const item of value.split(',').map((part) => part.trim())) {
      const [typename, typeRule] = item.includes('=') ? item.split('=', 2).map((part) => part.trim()) : [undefined, item];
      const rule = ruleOf(typeRule!);
      if (!rule || (typename !== undefined && !TYPE_NAME.test(typename))) {
        problems.push(`  - ${envName}: "${item}" is none of off, on, <seconds>, <Type>=off|on|<seconds>`);
      } else if (typename === undefined) Object.assign(subgraph, rule);
      else subgraph.types[typename] = rule;
    }
    rules[envName.slice(PER_SUBGRAPH.length)] = subgraph;
  }
  return { rules, problems };
}

type EntityCacheEnv = z.output<typeof entityCacheEnvSchema> & { CACHE_L1: boolean; CACHE_L1_POLICY: 'lru' | 'lfu'; NODE_ENV: string };

/** What a production start refuses of the entity cache's settings, one line each. */
export function entityCacheProblems(env: Pick<EntityCacheEnv, 'ENTITY_CACHE_EXTENSION' | 'NODE_ENV'>): string[] {
  return env.NODE_ENV === 'production' && env.ENTITY_CACHE_EXTENSION
    ? ['  - ENTITY_CACHE_EXTENSION: a debugging aid that tells clients what the gateway cached; not in production']
    : [];
}

/** The entity cache's settings, or null when ENTITY_CACHE is off. The key prefix is the response cache's: one namespace, one purge. */
export function toEntityCacheConfig(env: EntityCacheEnv, rules: Record<string, SubgraphEntityRules>, keyPrefix: string) {
  if (!env.ENTITY_CACHE) return null;
  return {
    keyPrefix,
    maxTtlS: env.ENTITY_CACHE_MAX_TTL_S,
    l1Enabled: env.CACHE_L1,
    l1Policy: env.CACHE_L1_POLICY,
    l1MaxEntries: env.ENTITY_CACHE_L1_MAX_ENTRIES,
    extension: env.ENTITY_CACHE_EXTENSION,
    /** By subgraph env name. */
    rules,
  };
}

export type EntityCacheConfig = NonNullable<ReturnType<typeof toEntityCacheConfig>>;

/** The rule for entities of `typename` from the subgraph whose env name is `subgraphEnvName`. */
export function ruleFor(config: Pick<EntityCacheConfig, 'maxTtlS' | 'rules'>, subgraphEnvName: string, typename: string): { enabled: boolean; maxTtlS: number } {
  const subgraph = config.rules[subgraphEnvName];
  const type = subgraph?.types[typename];
  return {
    enabled: type?.enabled ?? subgraph?.enabled ?? true,
    maxTtlS: type?.maxTtlS ?? subgraph?.maxTtlS ?? config.maxTtlS,
  };
}
