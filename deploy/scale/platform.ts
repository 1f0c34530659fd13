import { randomBytes } from 'node:crypto';
import { freePort, testRedisUrl } from '@shopgraph/testing';
import { Replica, type ReplicaSpec } from './cluster.js';
import { admin, RESERVATION_TTL_MS, subgraphs } from './settings.js';

/** The processes of the platform as the cluster runs them, and which of them the test kills. */
export interface Platform {
  replicas: Replica[];
  gateways: Replica[];
  /** The payment provider: a single replica, killed with the others. */
  provider: Replica;
  /** The first replica of every kind, killed and started again. */
  victims: Replica[];
  /** Each subgraph's replicas' GraphQL URLs, the victim first. */
  replicaUrls: Record<string, string[]>;
  /** The key the provider's ledger is read with. */
  providerKey: string;
  /** The replica named so (`workers-1`, `payment-provider` …). */
  byName(name: string): Replica;
  /** The name of the gateway at `url`, as the load recorded it. */
  gatewayName(url: string): string;
}

/**
 * Lays out the platform on free ports, as a Kubernetes deployment runs it: the payment provider,
 * two replicas of each subgraph, two workers processes and two gateways balancing over the
 * replicas, all on `databaseUrl`, their queues and cache keys under `queuePrefix`, their logs
 * (and the provider's journal) in `logDir`. Nothing is started.
 */
export async function planPlatform(databaseUrl: string, logDir: string, queuePrefix: string): Promise<Platform> {
  // Production settings, as the prod overlay gives them, with the crash-recovery knobs turned down
  // so that a killed worker's jobs are rerun within the test's patience.
  const base: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.SCALE_LOG_LEVEL ?? 'warn',
    DATABASE_URL: databaseUrl,
    REDIS_URL: testRedisUrl,
    JWT_SECRET: `scale-jwt-${randomBytes(16).toString('hex')}`,
    GATEWAY_SECRET: `scale-gateway-${randomBytes(16).toString('hex')}`,
    PAYMENT_PROVIDER_KEY: `scale-provider-${randomBytes(16).toString('hex')}`,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    QUEUE_PREFIX: queuePrefix,
    // Under the same hash tag, so the cleanup finds the response cache's keys too.
    CACHE_KEY_PREFIX: `${queuePrefix}:cache:`,
    // The load comes from one address: per-IP limits would measure the limiter, not the platform.
    RATE_LIMIT_ENABLED: 'false',
    JOB_LOCK_MS: '5000',
    STALLED_INTERVAL_MS: '5000',
  };

  const specs: ReplicaSpec[] = [];
  const providerPort = await freePort();
  // The provider keeps its ledger in a journal, as a real provider would: killed, it comes back knowing what it charged.
  specs.push({
    name: 'payment-provider',
    kind: 'payment-provider',
    dir: 'deploy',
    entry: 'scale/payment-provider.ts',
    args: [`${logDir}/payment-provider.journal`],
    port: providerPort,
    env: { ...base, PAYMENT_PROVIDER_PORT: String(providerPort) },
  });
  base.PAYMENT_PROVIDER_URL = `http://127.0.0.1:${providerPort}`;
  const replicaUrls: Record<string, string[]> = {};
  for (const subgraph of subgraphs) {
    for (const n of [1, 2]) {
      const p = await freePort();
      specs.push({ name: `${subgraph.name}-${n}`, kind: subgraph.name, dir: `subgraphs/${subgraph.name}`, entry: 'src/index.ts', port: p, env: { ...base, [subgraph.portEnv]: String(p) } });
      (replicaUrls[subgraph.name] ??= []).push(`http://127.0.0.1:${p}/graphql`);
    }
  }
  const gatewayEnv = {
    ...Object.fromEntries(subgraphs.map((s) => [`SUBGRAPH_REPLICAS_${s.name.toUpperCase()}`, replicaUrls[s.name]!.join(',')])),
    // The browsers' `me` would be kept per customer by the entity cache, and the users subgraph,
    // past its logins, would get no call in the window where its restarted replica must show
    // it takes its share again (invariants/traffic-back.ts).
    SUBGRAPH_ENTITY_CACHE_USERS: 'Query=off',
  };
  for (const n of [1, 2]) {
    const p = await freePort();
    specs.push({
      name: `workers-${n}`,
      kind: 'workers',
      dir: 'workers',
      entry: 'src/index.ts',
      port: p,
      env: { ...base, DASHBOARD_PORT: String(p), RESERVATION_TTL_MS: String(RESERVATION_TTL_MS) },
    });
  }
  for (const n of [1, 2]) {
    const p = await freePort();
    specs.push({ name: `gateway-${n}`, kind: 'gateway', dir: 'gateway', entry: 'src/index.ts', port: p, env: { ...base, ...gatewayEnv, GATEWAY_PORT: String(p) } });
  }
  const replicas = specs.map((spec) => new Replica(spec, `${logDir}/${spec.name}.log`));
  const byName = (name: string) => replicas.find((replica) => replica.spec.name === name)!;
  const gateways = replicas.filter((replica) => replica.spec.kind === 'gateway');
  return {
    replicas,
    gateways,
    provider: byName('payment-provider'),
    // The first replica of every kind is a victim; the (single) payment provider dies with them.
    victims: ['gateway-1', 'products-1', 'users-1', 'orders-1', 'payments-1', 'workers-1'].map(byName),
    replicaUrls,
    providerKey: base.PAYMENT_PROVIDER_KEY!,
    byName,
    gatewayName: (url) => gateways.find((gateway) => gateway.url === url)!.spec.name,
  };
}

/** Starts every process at once and resolves when each answers /ready. */
export async function startPlatform(platform: Platform): Promise<void> {
  // Both replicas of a subgraph start together and migrate under the advisory lock.
  for (const replica of platform.replicas) replica.start();
  await Promise.all(platform.replicas.map((replica) => replica.ready(120_000)));
}
