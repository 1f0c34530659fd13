import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { removeQueueKeys, testQueuePrefix } from '@shopgraph/queues/testing';
import { createTestDatabase, freePort, testCachePrefix, testRedisUrl } from '@shopgraph/testing';
import { platformProcesses, serviceUrlEnv, startPlatform, type ProcessName } from '../../scripts/platform.js';
import { setupPlatform } from '../../scripts/setup.js';
import checkDependencies from '../../packages/testing/src/global-setup.js';

/** The platform as an operator runs it in production; what an attacker who captured traffic would know. */
export interface SecurityPlatform {
  /** Every variable the processes were started with (no inherited `process.env`): start one more process like them. */
  env: Record<string, string>;
  gatewayUrl: string;
  /** Each subgraph's `/graphql`, called directly as an attacker inside the network would. */
  subgraphUrls: Record<'products' | 'users' | 'orders' | 'payments', string>;
  paymentProviderUrl: string;
  /** The workers' queue dashboard (basic auth with the admin's email and password). */
  dashboardUrl: string;
  webUrl: string;
  databaseUrl: string;
  redisUrl: string;
  /** This run's BullMQ prefix; rate-limit and persisted-query keys live under it too. */
  queuePrefix: string;
  admin: { email: string; password: string };
  /** The run's real secrets: attack tests forge or replay with them as one who stole them would. */
  secrets: { jwtSecret: string; gatewaySecret: string; paymentProviderKey: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    securityPlatform: SecurityPlatform;
  }
}

/** 32 random bytes as hex: a secret no list of known ones holds. */
const randomSecret = () => randomBytes(32).toString('hex');

/**
 * Starts the platform the way an operator runs it in production — `NODE_ENV=production`, random
 * real secrets, a strong admin password — with the same setup and processes as `npm start`, on a
 * database this harness creates itself (production never creates one), free ports and a queue
 * prefix of its own. Once for the whole security run.
 */
export default async function startSecurityPlatform(project: TestProject) {
  await checkDependencies();
  const database = await createTestDatabase('sg_security');
  const queuePrefix = testQueuePrefix();
  const ports = {} as Record<ProcessName, number>;
  for (const spec of platformProcesses) ports[spec.name] = await freePort();
  const admin = { email: 'security-admin@e2e.shopgraph.local', password: `Adm1n-${randomBytes(12).toString('base64url')}` };
  const secrets = { jwtSecret: randomSecret(), gatewaySecret: randomSecret(), paymentProviderKey: `sk_live_${randomSecret()}` };
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl,
    JWT_SECRET: secrets.jwtSecret,
    GATEWAY_SECRET: secrets.gatewaySecret,
    PAYMENT_PROVIDER_KEY: secrets.paymentProviderKey,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    // Every Redis key of this run under a prefix of its own, removed afterwards.
    QUEUE_PREFIX: queuePrefix,
    APQ_REDIS_PREFIX: `${queuePrefix}:apq:`,
    RATE_LIMIT_REDIS_PREFIX: `${queuePrefix}:rate-limit:`,
    CACHE_KEY_PREFIX: testCachePrefix(database.url),
    ...Object.fromEntries(platformProcesses.map((spec) => [spec.portEnv, String(ports[spec.name])])),
    ...serviceUrlEnv(ports),
  };
  // The child processes need PATH and the like; the platform's own settings are only those above.
  const processEnv = { ...process.env, ...env };
  await setupPlatform(processEnv);
  const platform = startPlatform(processEnv, 'inherit');
  try {
    await platform.healthy();
  } catch (error) {
    await platform.stop();
    await database.drop();
    throw error;
  }
  const urls = serviceUrlEnv(ports);
  project.provide('securityPlatform', {
    env,
    gatewayUrl: urls.GATEWAY_URL!,
    subgraphUrls: { products: urls.PRODUCTS_URL!, users: urls.USERS_URL!, orders: urls.ORDERS_URL!, payments: urls.PAYMENTS_URL! },
    paymentProviderUrl: urls.PAYMENT_PROVIDER_URL!,
    dashboardUrl: `http://127.0.0.1:${ports.workers}/queues`,
    webUrl: `http://127.0.0.1:${ports.web}`,
    databaseUrl: database.url,
    redisUrl: testRedisUrl,
    queuePrefix,
    admin,
    secrets,
  });
  // The keys e2e/global-setup.ts provides, so e2e/helpers.ts (gql, login, registerCustomer) works here too.
  project.provide('gatewayUrl', urls.GATEWAY_URL!);
  project.provide('databaseUrl', database.url);
  project.provide('adminEmail', admin.email);
  project.provide('adminPassword', admin.password);
  project.provide('webUrl', `http://127.0.0.1:${ports.web}`);
  project.provide('dashboardUrl', `http://127.0.0.1:${ports.workers}/queues`);
  return async () => {
    await platform.stop();
    await removeQueueKeys(testRedisUrl, queuePrefix);
    await database.drop();
  };
}
