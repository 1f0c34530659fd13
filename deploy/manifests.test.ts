import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { subgraphNames, type SubgraphName } from '@shopgraph/common';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IService } from 'kubernetes-models/v1/Service';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { serviceNodeFlags } from '../scripts/node-flags.js';
import {
  byKind,
  containersOf,
  entryOf,
  exampleSecret,
  findObject,
  overlays,
  podsOf,
  renderOverlay,
  repoRoot,
  resolveEnv,
  schemaProblems,
  selects,
  type K8sObject,
  type Overlay,
  type PodOf,
} from './k8s.js';

// Every process parses its environment with `parseEnv(schema, source)`: watching it tells which
// variables a process reads, straight from its zod schema, and runs the real validation.
const parsed = vi.hoisted(() => ({ keys: new Set<string>() }));
vi.mock('@shopgraph/common', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@shopgraph/common')>();
  return {
    ...actual,
    parseEnv: ((schema, source) => {
      for (const key of Object.keys((schema as unknown as { shape: object }).shape)) parsed.keys.add(key);
      return actual.parseEnv(schema, source);
    }) as typeof actual.parseEnv,
  };
});

type Source = Record<string, string | undefined>;
const subgraphConfigs = {
  products: async (env: Source) => (await import('@shopgraph/products/env')).loadConfig(env),
  users: async (env: Source) => (await import('@shopgraph/users/env')).loadConfig(env),
  orders: async (env: Source) => (await import('@shopgraph/orders/env')).loadConfig(env),
  payments: async (env: Source) => (await import('@shopgraph/payments/env')).loadConfig(env),
} satisfies Record<SubgraphName, unknown>;

/**
 * What each entry point the image runs reads its configuration with. A container whose entry is
 * not here fails the test: the check below would not know what it reads.
 */
const entryPoints: Record<string, (env: Source, args: string[]) => Promise<unknown>> = {
  'gateway/src/index.ts': async (env) => (await import('../gateway/src/env.js')).loadConfig(env),
  'subgraphs/products/src/index.ts': subgraphConfigs.products,
  'subgraphs/users/src/index.ts': subgraphConfigs.users,
  'subgraphs/orders/src/index.ts': subgraphConfigs.orders,
  'subgraphs/payments/src/index.ts': subgraphConfigs.payments,
  'workers/src/index.ts': async (env) => (await import('../workers/src/env.js')).loadConfig(env),
  'payment-provider/src/index.ts': async (env) => (await import('../payment-provider/src/env.js')).loadConfig(env),
  'web/server.ts': async (env) => (await import('../web/server/env.js')).loadConfig(env),
  'deploy/src/migrate.ts': async (env, [subgraph]) => (await import('./src/env.js')).loadMigrateConfig(subgraph as SubgraphName, env),
  // Migrates and seeds every subgraph through their own configurations.
  'scripts/setup.ts': async (env) => Promise.all(Object.values(subgraphConfigs).map((load) => load(env))),
};

/** The env.ts of each process, for the completeness check; the shared schema is no process. */
const envModules: Record<string, string | null> = {
  'gateway/src/env.ts': 'gateway/src/index.ts',
  'subgraphs/products/src/env.ts': 'subgraphs/products/src/index.ts',
  'subgraphs/users/src/env.ts': 'subgraphs/users/src/index.ts',
  'subgraphs/orders/src/env.ts': 'subgraphs/orders/src/index.ts',
  'subgraphs/payments/src/env.ts': 'subgraphs/payments/src/index.ts',
  'workers/src/env.ts': 'workers/src/index.ts',
  'payment-provider/src/env.ts': 'payment-provider/src/index.ts',
  'web/server/env.ts': 'web/server.ts',
  'deploy/src/env.ts': 'deploy/src/migrate.ts',
  'packages/common/src/env.ts': null,
};

/**
 * Variables a process reads that the manifests deliberately leave to the code's default, and why.
 * Anything else a process reads must be set by its container, in both overlays; an entry here
 * that the container does set, or that the process no longer reads, fails the test too.
 */
const defaultsAllowed: Record<string, Record<string, string>> = {
  'gateway/src/index.ts': {
    DATABASE_URL: 'the gateway has no database: it is not given the credentials',
    SUPERGRAPH_PATH: 'the supergraph committed in the image, the one composed from these subgraphs',
    MAX_DEPTH: 'operation limits: the README defaults fit the storefront; set in gateway-config to change',
    MAX_ALIASES: 'operation limit, as MAX_DEPTH',
    MAX_TOKENS: 'operation limit, as MAX_DEPTH',
    MAX_DIRECTIVES: 'operation limit, as MAX_DEPTH',
    MAX_COST: 'operation limit, as MAX_DEPTH',
    SUBGRAPH_BALANCER: 'upstream tuning: the README defaults; set in gateway-config to change',
    SUBGRAPH_RETRIES: 'upstream tuning, as SUBGRAPH_BALANCER',
    SUBGRAPH_RETRY_BUDGET_RATIO: 'upstream tuning, as SUBGRAPH_BALANCER',
    SUBGRAPH_RETRY_BUDGET_MIN_PER_SECOND: 'upstream tuning, as SUBGRAPH_BALANCER',
    SUBGRAPH_DEDUPE: 'upstream tuning, as SUBGRAPH_BALANCER',
    SUBGRAPH_HEALTH_CHECK_INTERVAL_MS: 'upstream tuning, as SUBGRAPH_BALANCER',
    SUBGRAPH_HEALTH_CHECK_TIMEOUT_MS: 'upstream tuning, as SUBGRAPH_BALANCER',
    SUBGRAPH_EJECT_AFTER_FAILURES: 'upstream tuning, as SUBGRAPH_BALANCER',
    SUBGRAPH_EJECT_BASE_MS: 'upstream tuning, as SUBGRAPH_BALANCER',
    SUBGRAPH_EJECT_MAX_MS: 'upstream tuning, as SUBGRAPH_BALANCER',
    SUBGRAPH_BREAKER_FAILURES: 'upstream tuning, as SUBGRAPH_BALANCER',
    SUBGRAPH_BREAKER_OPEN_MS: 'upstream tuning, as SUBGRAPH_BALANCER',
    APOLLO_TELEMETRY_DISABLED: "true by default: the gateway reports nothing to Apollo's servers unless asked to",
    RATE_LIMIT_ENABLED: 'unset means on (outside NODE_ENV=test), which production wants',
    RATE_LIMIT_IP_POINTS: 'rate limits: the README defaults; set in gateway-config to change',
    RATE_LIMIT_IP_DURATION_S: 'rate limit, as RATE_LIMIT_IP_POINTS',
    RATE_LIMIT_USER_POINTS: 'rate limit, as RATE_LIMIT_IP_POINTS',
    RATE_LIMIT_USER_DURATION_S: 'rate limit, as RATE_LIMIT_IP_POINTS',
    RATE_LIMIT_REDIS_PREFIX: 'key prefix in Redis: only changes when two platforms share a Redis',
    RATE_LIMIT_LEASE_PERCENT: 'rate limit, as RATE_LIMIT_IP_POINTS (1 %: ten gateways refuse a client at most 50 of 600 early)',
    APQ_TTL_S: 'persisted-query cache lifetime: the README default',
    APQ_REDIS_PREFIX: 'key prefix in Redis, as RATE_LIMIT_REDIS_PREFIX',
    PERSISTED_OPERATIONS_PATH: 'no allow-list of operations ships with the platform (its clients are not known)',
    PERSISTED_ONLY: 'off without PERSISTED_OPERATIONS_PATH',
    RESPONSE_CACHE: 'on by default, as production wants',
    CACHE_L1: "on by default: the benchmark's switch to measure Redis hits alone",
    CACHE_L1_POLICY: 'response cache tuning: the README defaults; set in gateway-config to change',
    CACHE_L1_MAX_ENTRIES: 'response cache tuning, as CACHE_L1_POLICY',
    CACHE_SWR_SECONDS: 'response cache tuning, as CACHE_L1_POLICY',
    ENTITY_CACHE: 'on by default, as production wants',
    ENTITY_CACHE_MAX_TTL_S: 'entity cache tuning: the README defaults; set in gateway-config to change',
    ENTITY_CACHE_L1_MAX_ENTRIES: 'entity cache tuning, as ENTITY_CACHE_MAX_TTL_S',
    ENTITY_CACHE_EXTENSION: 'a debugging aid, off by default and refused in production',
    SESSION_REDIS_PREFIX: 'key prefix in Redis, as RATE_LIMIT_REDIS_PREFIX; the users subgraph uses the same default',
    SESSION_CHECK_CACHE_MS: 'how long a gateway trusts a session answer: the README default (2 s)',
    SUBSCRIPTIONS_PER_CONNECTION: 'subscription limits: the README defaults; set in gateway-config to change',
    SUBSCRIPTIONS_PER_USER: 'subscription limit, as SUBSCRIPTIONS_PER_CONNECTION',
    SUBSCRIPTIONS_MAX_IDS: 'subscription limit, as SUBSCRIPTIONS_PER_CONNECTION',
    SUBSCRIPTIONS_MESSAGES_PER_10S: 'subscription limit, as SUBSCRIPTIONS_PER_CONNECTION',
    SUBSCRIPTIONS_HEARTBEAT_MS: 'subscription tuning: the README defaults (below common proxy idle timeouts)',
    SUBSCRIPTIONS_IDLE_TIMEOUT_MS: 'subscription tuning, as SUBSCRIPTIONS_HEARTBEAT_MS',
    SUBSCRIPTIONS_SESSION_RECHECK_MS: 'subscription tuning, as SUBSCRIPTIONS_HEARTBEAT_MS',
  },
  'subgraphs/users/src/index.ts': {
    ACCESS_TOKEN_TTL_S: 'token lifetime: the README default (15 minutes)',
    SESSION_REDIS_PREFIX: 'key prefix in Redis: the gateway uses the same default',
  },
  'web/server.ts': {
    DASHBOARD_PORT: 'only builds the default DASHBOARD_URL, which web-config sets',
  },
  'scripts/setup.ts': {
    PRODUCTS_PORT: 'the seed serves nothing',
    USERS_PORT: 'the seed serves nothing',
    ORDERS_PORT: 'the seed serves nothing',
    PAYMENTS_PORT: 'the seed serves nothing',
    PRODUCTS_DATABASE_URL: 'dev has one database for every subgraph',
    USERS_DATABASE_URL: 'dev has one database for every subgraph',
    ORDERS_DATABASE_URL: 'dev has one database for every subgraph',
    PAYMENTS_DATABASE_URL: 'dev has one database for every subgraph',
    PAYMENT_PROVIDER_TIMEOUT_MS: 'the seed charges nothing',
    PAYMENT_PROVIDER_KEY: 'the seed charges nothing',
    ACCESS_TOKEN_TTL_S: 'the seed issues no token',
    SESSION_REDIS_PREFIX: 'the seed ends no session',
  },
};

/** Variables of the shared platform schema that every process may leave to their defaults. */
const defaultsAllowedEverywhere: Record<string, string> = {
  DATALOADER_BATCH: "the benchmark's N+1 baseline switch: production always batches",
};

/**
 * Variables the manifests set that no zod schema lists, by the entry that reads them: the
 * gateway reads per-subgraph variables by prefix, since subgraph names come from the supergraph.
 */
const readByPrefix: Record<string, RegExp[]> = {
  'gateway/src/index.ts': [
    /^(PRODUCTS|USERS|ORDERS|PAYMENTS)_URL$/,
    /^SUBGRAPH_(URL|REPLICAS|DNS|BALANCER|TIMEOUT_MS)_[A-Z0-9_]+$/,
  ],
};

const appImage = { dev: 'shopgraph:dev', prod: 'registry.example.com/shopgraph:0.1.0' } satisfies Record<Overlay, string>;
const subgraphPorts: Record<SubgraphName, number> = { products: 4001, users: 4002, orders: 4003, payments: 4004 };
const namespace = 'shopgraph';

const rendered = {} as Record<Overlay, K8sObject[]>;
beforeAll(() => {
  for (const overlay of overlays) rendered[overlay] = renderOverlay(overlay);
});

/** The platform's own containers (the image built from this repository), with their pods. */
const appContainers = (overlay: Overlay) =>
  podsOf(rendered[overlay]).flatMap((pod) =>
    containersOf(pod)
      .filter((container) => container.image === appImage[overlay])
      .map((container) => ({ pod, container, ...entryOf(container) })),
  );

const deploymentOf = (overlay: Overlay, name: string) => findObject<IDeployment>(rendered[overlay], 'Deployment', name);
const mainContainer = (overlay: Overlay, name: string): IContainer => {
  const container = deploymentOf(overlay, name).spec?.template.spec?.containers.find((c) => c.name === name);
  if (!container) throw new Error(`Deployment ${name} has no container ${name}`);
  return container;
};

/** prod's Secret is created by the operator: its documented example stands in for it. */
const externalSecrets = (overlay: Overlay): Record<string, Record<string, string>> =>
  overlay === 'prod' ? { 'shopgraph-secrets': exampleSecret().values } : {};

describe.each(overlays)('the %s overlay', (overlay) => {
  it('renders only objects valid against the Kubernetes API schemas, with no unknown field', () => {
    const objects = rendered[overlay];
    expect(objects.length).toBeGreaterThan(30);
    const problems = objects.flatMap((object) => schemaProblems(object).map((problem) => `${object.kind} ${object.metadata.name}: ${problem}`));
    expect(problems).toEqual([]);
  });

  it('puts everything in the shopgraph namespace', () => {
    const outside = rendered[overlay].filter((object) => object.kind !== 'Namespace' && object.metadata.namespace !== namespace);
    expect(outside.map((object) => `${object.kind} ${object.metadata.name}`)).toEqual([]);
  });

  it('runs each process with a Deployment, a Service and the image built from this repository', () => {
    for (const name of ['gateway', ...subgraphNames, 'workers', 'payment-provider', 'web']) {
      expect(mainContainer(overlay, name).image).toBe(appImage[overlay]);
      findObject<IService>(rendered[overlay], 'Service', name);
    }
    for (const { entry } of appContainers(overlay)) {
      expect(entryPoints, `no env check for ${entry}`).toHaveProperty([entry]);
      expect(existsSync(`${repoRoot}${entry}`), `${entry} exists`).toBe(true);
    }
  });

  it('gives every container resources, a non-root user and no privilege escalation', () => {
    for (const pod of podsOf(rendered[overlay])) {
      expect(pod.template.spec?.securityContext?.runAsNonRoot, pod.owner.metadata.name).toBe(true);
      expect(pod.template.spec?.automountServiceAccountToken, pod.owner.metadata.name).toBe(false);
      for (const container of containersOf(pod)) {
        const where = `${pod.owner.metadata.name}/${container.name}`;
        expect(container.resources?.requests, where).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
        expect(container.resources?.limits, where).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
        expect(container.securityContext, where).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      }
    }
  });

  it('probes every process: liveness on /health, readiness on /ready, on the port it listens on', () => {
    for (const { pod, container } of appContainers(overlay)) {
      if (pod.owner.kind !== 'Deployment' || pod.template.spec?.initContainers?.includes(container)) continue;
      const where = `${pod.owner.metadata.name}/${container.name}`;
      const port = container.ports?.[0]?.name;
      expect(port, where).toBe('http');
      expect(container.livenessProbe?.httpGet, where).toMatchObject({ path: '/health', port });
      expect(container.readinessProbe?.httpGet, where).toMatchObject({ path: '/ready', port });
      // Start-up (tsx compiling, migrations done by then) is not mistaken for a hung process.
      expect(container.startupProbe?.httpGet, where).toMatchObject({ path: '/health', port });
    }
  });

  it('gives the workers a termination grace period longer than their longest job', () => {
    const workers = deploymentOf(overlay, 'workers');
    const env = resolveEnv(mainContainer(overlay, 'workers'), rendered[overlay], externalSecrets(overlay)).values;
    // The longest job is a charge: one provider call, bounded by its timeout, plus short transactions.
    const longestJobMs = Number(env.PAYMENT_PROVIDER_TIMEOUT_MS);
    expect(longestJobMs).toBeGreaterThan(0);
    expect((workers.spec?.template.spec?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(2 * longestJobMs);
  });

  it('migrates each subgraph in an init container before its new pods serve', () => {
    for (const subgraph of subgraphNames) {
      const deployment = deploymentOf(overlay, subgraph);
      const [migrate, ...others] = deployment.spec?.template.spec?.initContainers ?? [];
      expect(others).toEqual([]);
      expect(entryOf(migrate!)).toEqual({ entry: 'deploy/src/migrate.ts', args: [subgraph] });
      expect(migrate!.image).toBe(appImage[overlay]);
      // Old pods keep serving while a new one waits on its migration.
      expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    }
  });

  it('autoscales the gateway and the subgraphs, leaving their replica counts to the autoscaler', () => {
    const autoscalers = byKind<IHorizontalPodAutoscaler>(rendered[overlay], 'HorizontalPodAutoscaler');
    expect(autoscalers.map((hpa) => hpa.spec?.scaleTargetRef.name).sort()).toEqual(['gateway', ...subgraphNames].sort());
    for (const hpa of autoscalers) {
      const target = deploymentOf(overlay, hpa.spec!.scaleTargetRef.name);
      // A replica count in the Deployment would reset the autoscaler's at every apply.
      expect(target.spec?.replicas, target.metadata.name).toBeUndefined();
      expect(hpa.spec?.minReplicas).toBeLessThanOrEqual(hpa.spec!.maxReplicas);
      expect(target.spec?.template.spec?.containers.every((c) => c.resources?.requests?.cpu), 'CPU requests to scale on').toBe(true);
    }
  });

  it('keeps a disruption budget on every replicated process, matching its pods', () => {
    const budgets = byKind<IPodDisruptionBudget>(rendered[overlay], 'PodDisruptionBudget');
    expect(budgets.map((pdb) => pdb.metadata.name).sort()).toEqual(['gateway', ...subgraphNames, 'web', 'workers'].sort());
    for (const pdb of budgets) {
      const pods = podsOf(rendered[overlay]).filter((pod) => selects(pdb.spec?.selector?.matchLabels, pod.template.metadata?.labels));
      expect(pods.map((pod) => pod.owner.metadata.name)).toEqual([pdb.metadata.name]);
      // maxUnavailable 1 never blocks a drain where a single replica runs (dev).
      expect(pdb.spec?.maxUnavailable).toBe(1);
    }
  });

  it('points every Service at pods that exist, on a port they name', () => {
    for (const service of byKind<IService>(rendered[overlay], 'Service')) {
      const pods = podsOf(rendered[overlay]).filter((pod) => selects(service.spec?.selector, pod.template.metadata?.labels));
      expect(pods.length, `pods of Service ${service.metadata.name}`).toBe(1);
      const portNames = containersOf(pods[0]!).flatMap((c) => c.ports?.map((p) => p.name) ?? []);
      for (const port of service.spec?.ports ?? []) expect(portNames).toContain(port.targetPort);
    }
  });

  it('gives the gateway a headless Service per subgraph to discover its pods from', () => {
    const gatewayEnv = resolveEnv(mainContainer(overlay, 'gateway'), rendered[overlay], externalSecrets(overlay)).values;
    for (const subgraph of subgraphNames) {
      const headless = findObject<IService>(rendered[overlay], 'Service', `${subgraph}-headless`);
      expect(headless.spec?.clusterIP).toBe('None');
      expect(headless.spec?.ports?.[0]?.port).toBe(subgraphPorts[subgraph]);
      const discovery = new URL(gatewayEnv[`SUBGRAPH_DNS_${subgraph.toUpperCase()}`] ?? '');
      expect(discovery.hostname).toBe(`${subgraph}-headless.${namespace}.svc.cluster.local`);
      expect(discovery.port).toBe(String(subgraphPorts[subgraph]));
      // Without discovery the gateway still reaches the subgraph through its Service.
      expect(gatewayEnv[`${subgraph.toUpperCase()}_URL`]).toBe(`http://${subgraph}:${subgraphPorts[subgraph]}/graphql`);
    }
    expect(Number(gatewayEnv.SUBGRAPH_DNS_REFRESH_MS)).toBeGreaterThan(0);
  });

  it('resolves every ConfigMap and Secret reference', () => {
    const problems = podsOf(rendered[overlay]).flatMap((pod) =>
      containersOf(pod).flatMap((container) =>
        resolveEnv(container, rendered[overlay], externalSecrets(overlay)).problems.map((p) => `${pod.owner.metadata.name}/${container.name}: ${p}`),
      ),
    );
    expect(problems).toEqual([]);
  });

  it('sets every variable each process reads (or leaves it to a listed default), with values the process accepts', async () => {
    const problems: string[] = [];
    const readAnywhere = new Set<string>();
    for (const { pod, container, entry, args } of appContainers(overlay)) {
      const where = `${pod.owner.metadata.name}/${container.name} (${entry})`;
      const env = resolveEnv(container, rendered[overlay], externalSecrets(overlay));
      parsed.keys.clear();
      // The process's own loadConfig: a value it would refuse at start fails here.
      await entryPoints[entry]!(env.values, args).catch((error: Error) => problems.push(`${where}: ${error.message}`));
      for (const key of parsed.keys) readAnywhere.add(key);
      const allowed = defaultsAllowed[entry] ?? {};
      for (const key of parsed.keys) {
        const defaulted = key in allowed || key in defaultsAllowedEverywhere;
        if (!env.names.has(key) && !defaulted) problems.push(`${where}: reads ${key}, which the manifests do not set`);
        if (env.names.has(key) && key in defaultsAllowedEverywhere) problems.push(`${where}: ${key} is set, so it need not be allowed to default`);
      }
      for (const key of Object.keys(allowed)) {
        // setup.ts runs in dev only; its list must still hold there.
        if (env.names.has(key)) problems.push(`${where}: ${key} is set, so it need not be allowed to default`);
        if (!parsed.keys.has(key)) problems.push(`${where}: ${key} is allowed to default but no longer read`);
      }
      // A variable named on this container that nothing reads is a typo or a leftover.
      for (const variable of container.env ?? []) {
        const read = parsed.keys.has(variable.name) || (readByPrefix[entry] ?? []).some((pattern) => pattern.test(variable.name));
        if (!read) problems.push(`${where}: sets ${variable.name}, which it does not read`);
      }
    }
    for (const key of Object.keys(defaultsAllowedEverywhere)) {
      if (!readAnywhere.has(key)) problems.push(`${key} is allowed to default but no process reads it`);
    }
    expect(problems).toEqual([]);
  });

  it('trusts X-Forwarded-For from loopback and the ingress only, never a whole private range', () => {
    const trusted = appContainers(overlay)
      .map(({ container }) => resolveEnv(container, rendered[overlay], externalSecrets(overlay)).values.TRUST_PROXY)
      .filter((value): value is string => value !== undefined);
    expect(trusted.length).toBeGreaterThan(0);
    for (const value of trusted) {
      for (const entry of value.split(',').map((part) => part.trim())) {
        // proxy-addr's presets other than loopback name ranges any pod could send from.
        if (!entry.includes('/')) {
          expect(entry).toBe('loopback');
          continue;
        }
        // A subnet as narrow as an ingress controller's: /24 or smaller.
        expect(Number(entry.split('/')[1]), `${entry} in TRUST_PROXY`).toBeGreaterThanOrEqual(24);
      }
    }
  });

  it('sets no ConfigMap key that none of the processes reading the ConfigMap reads', async () => {
    const readers = new Map<string, Set<string>>();
    for (const { container, entry, args } of appContainers(overlay)) {
      parsed.keys.clear();
      await entryPoints[entry]!(resolveEnv(container, rendered[overlay], externalSecrets(overlay)).values, args);
      for (const source of container.envFrom ?? []) {
        const name = source.configMapRef?.name;
        if (!name) continue;
        const keys = readers.get(name) ?? new Set<string>();
        for (const key of parsed.keys) keys.add(key);
        const data = findObject<{ data: Record<string, string> }>(rendered[overlay], 'ConfigMap', name).data;
        for (const key of Object.keys(data)) if ((readByPrefix[entry] ?? []).some((pattern) => pattern.test(key))) keys.add(key);
        readers.set(name, keys);
      }
    }
    for (const [name, read] of readers) {
      const data = findObject<{ data: Record<string, string> }>(rendered[overlay], 'ConfigMap', name).data;
      expect(Object.keys(data).filter((key) => !read.has(key)), `unread keys of ${name}`).toEqual([]);
    }
  });

  it('lets only the gateway reach the subgraphs, only the workers and payments reach the provider, and the storefront reach the gateway', () => {
    const reachable = reachability(rendered[overlay]);
    const pods = podsOf(rendered[overlay]).map((pod) => pod.owner.metadata.name);
    const expected: Record<string, string[]> = {
      ...Object.fromEntries(subgraphNames.map((subgraph) => [subgraph, ['gateway']])),
      'payment-provider': ['payments', 'workers'],
      gateway: ['web'],
      web: [],
      workers: [],
    };
    // Every workload the rule is about is rendered, so the comparison below covers each of them.
    expect(pods).toEqual(expect.arrayContaining(Object.keys(expected)));
    const allowed = Object.fromEntries(Object.keys(expected).map((target) => [target, pods.filter((source) => reachable(source, target)).sort()]));
    expect(allowed).toEqual(expected);
  });
});

describe('the overlays differ where they should', () => {
  it('runs Postgres and Redis in dev only; prod takes their URLs from a Secret it does not contain', () => {
    const stateful = (overlay: Overlay) => rendered[overlay].filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name).sort();
    expect(stateful('dev')).toEqual(['postgres', 'redis']);
    expect(stateful('prod')).toEqual([]);
    expect(rendered.prod.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('documents every key the prod Secret is read for in secrets.env.example', () => {
    const example = exampleSecret();
    const referenced = podsOf(rendered.prod).flatMap((pod) =>
      containersOf(pod).flatMap((container) => (container.env ?? []).flatMap((v) => (v.valueFrom?.secretKeyRef ? [v.valueFrom.secretKeyRef] : []))),
    );
    for (const ref of referenced) {
      expect(ref.name).toBe('shopgraph-secrets');
      if (ref.optional) expect([...example.optional, ...Object.keys(example.values)], ref.key).toContain(ref.key);
      else expect(Object.keys(example.values), ref.key).toContain(ref.key);
    }
  });

  it('runs production with NODE_ENV=production and development with development', () => {
    const nodeEnv = (overlay: Overlay) => resolveEnv(mainContainer(overlay, 'gateway'), rendered[overlay], externalSecrets(overlay)).values.NODE_ENV;
    expect(nodeEnv('prod')).toBe('production');
    expect(nodeEnv('dev')).toBe('development');
  });
});

describe("the prod Secret's REDIS_URL", () => {
  it('may name one endpoint, a master through Sentinel or a Cluster: every process accepts each form secrets.env.example shows', async () => {
    const example = readFileSync(`${repoRoot}deploy/k8s/overlays/prod/secrets.env.example`, 'utf8');
    const forms = [...example.matchAll(/^#\s+[a-zA-Z ]+\s(rediss?(?:-sentinel|-cluster)?:\/\/\S+)$/gm)].map((match) => match[1]!);
    expect(forms.map((url) => url.slice(0, url.indexOf(':')))).toEqual(['rediss', 'redis-sentinel', 'rediss-cluster']);
    const problems: string[] = [];
    for (const url of forms) {
      for (const { pod, container, entry, args } of appContainers('prod')) {
        const env = resolveEnv(container, rendered.prod, { 'shopgraph-secrets': { ...exampleSecret().values, REDIS_URL: url } });
        if (!env.names.has('REDIS_URL')) continue;
        // On a cluster this also holds the base's CACHE_KEY_PREFIX and QUEUE_PREFIX to their hash tags.
        await entryPoints[entry]!(env.values, args).catch((error: Error) => problems.push(`${pod.owner.metadata.name}/${container.name}, ${url}: ${error.message}`));
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('every process that reads its environment', () => {
  it('is run by some container of the manifests (or is no process)', () => {
    const envFiles = findEnvModules(repoRoot).sort();
    expect(envFiles).toEqual(Object.keys(envModules).sort());
    const entries = new Set(overlays.flatMap((overlay) => appContainers(overlay).map((c) => c.entry)));
    for (const entry of Object.values(envModules)) if (entry) expect(entries, entry).toContain(entry);
  });
});

describe('Dockerfile', () => {
  it('starts every process with the Node flags npm start uses', () => {
    const dockerfile = readFileSync(`${repoRoot}Dockerfile`, 'utf8');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(entrypoint, 'an exec-form ENTRYPOINT').toBeDefined();
    expect(JSON.parse(entrypoint!)).toEqual(['node', ...serviceNodeFlags, '--import', 'tsx']);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(`${repoRoot}docker-compose.yml`, 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; build?: string; working_dir?: string; command?: string[] }>;
  };

  it('runs every process of the platform from the production image, with an entry the image has', () => {
    const platform = Object.entries(compose.services).filter(([, service]) => service.build);
    expect(platform.map(([name]) => name).sort()).toEqual(['gateway', ...subgraphNames, 'payment-provider', 'setup', 'web', 'workers'].sort());
    for (const [name, service] of platform) {
      expect(service.build, name).toBe('.');
      expect(service.image, name).toBe('shopgraph:local');
      const { entry } = entryOf({ name, workingDir: service.working_dir, args: service.command });
      expect(entryPoints, `${name} runs ${entry}`).toHaveProperty([entry]);
    }
  });
});

/** Every env.ts of the repository's code (the only readers of process.env, by convention). */
function findEnvModules(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = `${dir}${name}`;
    if (statSync(path).isDirectory()) return findEnvModules(`${path}/`, `${prefix}${name}/`);
    return name === 'env.ts' ? [`${prefix}${name}`] : [];
  });
}

/**
 * Whether the NetworkPolicies let pods of one workload open connections to another's, within
 * the namespace. Only what the manifests use is modelled: podSelector.matchLabels, and `from`
 * entries that are a podSelector or a namespaceSelector (the latter never matches our pods).
 */
function reachability(objects: K8sObject[]) {
  const policies = byKind<INetworkPolicy>(objects, 'NetworkPolicy');
  const labelsOf = (name: string) => podsOf(objects).find((pod: PodOf) => pod.owner.metadata.name === name)?.template.metadata?.labels ?? {};
  return (source: string, target: string) => {
    const selecting = policies.filter((p) => p.spec?.policyTypes?.includes('Ingress') && selects(p.spec.podSelector.matchLabels, labelsOf(target)));
    if (selecting.length === 0) return true;
    return selecting.some((policy) =>
      (policy.spec?.ingress ?? []).some((rule) =>
        (rule.from ?? []).some((peer) => !peer.namespaceSelector && peer.podSelector && selects(peer.podSelector.matchLabels, labelsOf(source))),
      ),
    );
  };
}
