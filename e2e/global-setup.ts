import type { TestProject } from 'vitest/node';
import { removeQueueKeys, testQueuePrefix } from '@shopgraph/queues/testing';
import { createTestDatabase, freePort, testEnv, testRedisUrl } from '@shopgraph/testing';
import { platformProcesses, portsOf, serviceUrlEnv, startPlatform } from '../scripts/platform.js';
import { setupPlatform } from '../scripts/setup.js';
import checkDependencies from '../packages/testing/src/global-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    gatewayUrl: string;
    databaseUrl: string;
    /** `/metrics` URL of every subgraph, to count SQL statements across the graph. */
    subgraphMetricsUrls: string[];
    adminEmail: string;
    adminPassword: string;
    /** The storefront, as a browser opens it. */
    webUrl: string;
    /** The workers' queue dashboard (basic auth with the admin's email and password). */
    dashboardUrl: string;
    /** The run's BullMQ prefix, so a test can hold a queue (pause it) as a handshake. */
    queuePrefix: string;
    /** What the platform's gateway is started with (its ports aside), to start more replicas of it. */
    gatewayEnv: Record<string, string>;
  }
}

export const E2E_ADMIN = { email: 'admin@e2e.shopgraph.local', password: 'e2e-admin-password' };

/**
 * Runs the platform the way `npm start` does — same setup, same processes — on a fresh
 * database and free ports, once for the whole end-to-end run.
 */
export default async function startE2ePlatform(project: TestProject) {
  await checkDependencies();
  const database = await createTestDatabase('sg_e2e');
  const queuePrefix = testQueuePrefix();
  const ports: Record<string, string> = {};
  for (const spec of platformProcesses) ports[spec.portEnv] = String(await freePort());
  const env = {
    ...process.env,
    ...testEnv(database.url, {
      ...ports,
      ADMIN_EMAIL: E2E_ADMIN.email,
      ADMIN_PASSWORD: E2E_ADMIN.password,
      // Queues and persisted queries of this run only: runs on one Redis never meet.
      QUEUE_PREFIX: queuePrefix,
      APQ_REDIS_PREFIX: `${queuePrefix}:apq:`,
      // The demo shop's orders awaiting payment (read-graph.e2e.test.ts reads them) await for the
      // whole run, which can outlast the default 15 minutes; the expiry sweep itself is tested
      // with a TTL of its own (workers/src/expiry.int.test.ts).
      RESERVATION_TTL_MS: String(6 * 60 * 60 * 1000),
    }),
  };
  await setupPlatform(env);
  const platform = startPlatform(env, 'inherit');
  try {
    await platform.healthy();
  } catch (error) {
    await platform.stop();
    await database.drop();
    throw error;
  }
  project.provide('gatewayUrl', `http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`);
  project.provide('databaseUrl', database.url);
  project.provide(
    'subgraphMetricsUrls',
    ['PRODUCTS_PORT', 'USERS_PORT', 'ORDERS_PORT', 'PAYMENTS_PORT'].map((name) => `http://127.0.0.1:${ports[name]}/metrics`),
  );
  project.provide('adminEmail', E2E_ADMIN.email);
  project.provide('adminPassword', E2E_ADMIN.password);
  project.provide('webUrl', `http://127.0.0.1:${ports.WEB_PORT}`);
  project.provide('dashboardUrl', `http://127.0.0.1:${ports.DASHBOARD_PORT}/queues`);
  project.provide('queuePrefix', queuePrefix);
  project.provide('gatewayEnv', {
    ...testEnv(database.url, { QUEUE_PREFIX: queuePrefix, APQ_REDIS_PREFIX: `${queuePrefix}:apq:` }),
    ...serviceUrlEnv(portsOf(env)),
  });
  return async () => {
    await platform.stop();
    await removeQueueKeys(testRedisUrl, queuePrefix);
    await database.drop();
  };
}
