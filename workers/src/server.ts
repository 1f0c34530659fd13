import { createCacheInvalidator, createEntityEventPublisher, entityTag } from '@shopgraph/cache';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type Server } from 'node:http';
import {
  checkRedis,
  createDb,
  createLogger,
  createRedisClient,
  createServiceApp,
  listen,
  reportRedisOutages,
  type Db,
  type Logger,
} from '@shopgraph/common';
import {
  addJob,
  checkRedisForBullmq,
  closeQueues,
  createQueueConnection,
  createQueues,
  createWorkerConnection,
  outboxTable,
  startOutboxRelay,
  workQueueNames,
  type EnqueueRequest,
  type QueueSet,
  type WorkQueueName,
} from '@shopgraph/queues';
import type { Worker } from 'bullmq';
import { createWorker, type ExhaustedHooksOf, type ProcessorsOf } from './create-worker.js';
import { dashboardLoginLimits, mountDashboard } from './dashboard.js';
import { createDirectDispatch } from './direct-dispatch.js';
import type { BackgroundTask } from './sweep-loop.js';
import { createLoginThrottle } from './dashboard-login-throttle.js';
import { workerSubgraphs, type WorkerSubgraph, type WorkersConfig } from './env.js';
import { createJobMetrics } from './job-metrics.js';
import { registerQueueMetrics } from './queue-metrics.js';

/** What processors get to do their wiring with. */
export interface WorkerContext {
  config: WorkersConfig;
  logger: Logger;
  /**
   * The subgraph's own database (`<SUBGRAPH>_DATABASE_URL`): its role, its schema. One pool per
   * subgraph, closed on shutdown.
   */
  db(subgraph: WorkerSubgraph): Db;
  /** Adds a follow-up job directly (deterministic `jobId`, so a retried processor adds it once). */
  enqueue(request: EnqueueRequest): Promise<void>;
  /**
   * Purges the gateways' cached responses that show these products. Called after a stock
   * change commits and before the step reports done, so a read after it never sees old stock.
   */
  purgeProducts(productIds: readonly string[]): Promise<void>;
  /** Purges the gateways' cached copies of an order at once (its event waits for the end of the job). */
  purgeOrder(orderId: string): Promise<void>;
  /**
   * After these entities' change committed: purges the gateways' cached copies of them (an
   * order's entries are kept per viewer) and tells their subscriptions, so they push them again —
   * in one round trip. Rejects when Redis cannot be reached (logged): the job then fails and runs
   * again (every step is idempotent), so no cached copy outlives the change for long.
   */
  entitiesChanged(entities: readonly EntityRef[]): Promise<void>;
  /**
   * Runs `run` (a job's saga), then purges and publishes `entities` and publishes the products it
   * purged, in one call, also when it threw: the products' events wait for the end of the job
   * instead of costing a publish each (their cached copies are purged at once all the same).
   */
  announcing<T>(entities: readonly EntityRef[], run: () => Promise<T>): Promise<T>;
}

type EntityRef = { typename: string; id: string };

export interface QueueWiring<Q extends WorkQueueName> {
  processors: ProcessorsOf<Q>;
  onExhausted?: ExhaustedHooksOf<Q>;
}

/** The queues this replica works; a queue left out has no worker here. */
export type QueueWirings = { [Q in WorkQueueName]?: QueueWiring<Q> };

/** What a replica runs, wired from one context. */
export interface WiredWorkers {
  processors: QueueWirings;
  /** Tasks beside the queues (the expiry sweep, the settler); stopped on shutdown once the queues' jobs finished, before the pools close. */
  background?: BackgroundTask[];
}

export interface WorkersWiring {
  wire(context: WorkerContext): WiredWorkers;
  /** Subgraphs whose `outbox` table (from `outboxTable()`) this replica relays to BullMQ. */
  outboxSubgraphs: readonly WorkerSubgraph[];
}

export interface RunningWorkers {
  httpServer: Server;
  queues: QueueSet;
  /** Listens on `port` (0 = any free port) and resolves with the base URL; the dashboard is at `/queues`. */
  listen(port: number, host?: string): Promise<string>;
  /** Drains: workers finish their active jobs (`worker.close()`), relays stop, then everything closes. */
  close(): Promise<void>;
}

/**
 * Builds the workers process: one BullMQ worker per wired queue, the outbox relays, and the
 * HTTP side (dashboard at `/queues`, `/health`, `/ready`, `/metrics`). Tests build the same.
 */
export async function startWorkers(
  config: WorkersConfig,
  wiring: WorkersWiring,
  logger: Logger = createLogger('workers', config.logLevel),
): Promise<RunningWorkers> {
  const producerConnection = createQueueConnection(config.redisUrl);
  const workerConnection = createWorkerConnection(config.redisUrl);
  reportRedisOutages(producerConnection, logger, 'queue producers');
  reportRedisOutages(workerConnection, logger, 'queue workers');
  await checkRedisForBullmq(producerConnection, logger);
  const queues = createQueues(producerConnection, config.queuePrefix);
  // The producer connection's listener above says what went wrong; each queue repeats it.
  for (const queue of Object.values(queues)) queue.on('error', (error) => logger.debug({ err: error, queue: queue.name }, 'queue connection error'));

  const dbs = new Map<WorkerSubgraph, Db>();
  const dbOf = (subgraph: WorkerSubgraph) => {
    let db = dbs.get(subgraph);
    if (!db) {
      db = createDb({ url: config.databaseUrls[subgraph], subgraph, logger, max: 5 });
      dbs.set(subgraph, db);
    }
    return db;
  };

  const checks = {
    redis: () => checkRedis(config.redisUrl),
    // Through the pools the processors use: their database may refuse connections while the server answers.
    postgres: async () => {
      await Promise.all(workerSubgraphs.map((subgraph) => dbOf(subgraph).$client.query('select 1')));
    },
  };
  const dependencyChecks = () => Promise.all(Object.values(checks).map((check) => check()));
  const { app, registry } = createServiceApp({ service: 'workers', logger, checks });
  registerQueueMetrics(registry, queues, logger);
  // Failed dashboard logins, shared by every replica; commands fail fast when Redis is away.
  const throttleRedis = createRedisClient(config.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 1000 });
  reportRedisOutages(throttleRedis, logger, 'dashboard login throttle');
  // Connected before the first login, so failures count in Redis rather than in the in-process fallback.
  await throttleRedis.ping().catch(() => undefined);
  const throttle = createLoginThrottle({ redis: throttleRedis, keyPrefix: `${config.queuePrefix}:dashboard-login:`, ...dashboardLoginLimits });
  mountDashboard(app, queues, { admin: config.admin, throttle });

  const metrics = createJobMetrics(registry);
  const cache = createCacheInvalidator(config.redisUrl, config.cacheKeyPrefix, logger);
  const events = createEntityEventPublisher(config.redisUrl, config.cacheKeyPrefix, logger);
  const tagsOf = (entities: readonly EntityRef[]) => entities.map(({ typename, id }) => entityTag(typename, id));
  /** Publishes the events of `entities`, having purged the cached copies of `purged` in the same call. */
  const publish = async (entities: readonly EntityRef[], purged: readonly EntityRef[]) => {
    try {
      await events.publish(entities, tagsOf(purged));
    } catch (error) {
      logger.error({ err: error, entities }, 'cached copies not purged, entity events not published: the job runs again');
      throw error;
    }
  };
  // The events a running job's `announcing` holds back, to publish with its own in one call.
  const heldEvents = new AsyncLocalStorage<EntityRef[]>();
  const context: WorkerContext = {
    config,
    logger,
    db: dbOf,
    enqueue: (request) => addJob(queues, request),
    purgeProducts: async (productIds) => {
      if (productIds.length === 0) return;
      const products = productIds.map((id) => ({ typename: 'Product', id }));
      const held = heldEvents.getStore();
      if (!held) return publish(products, products);
      await cache.invalidateEntities(tagsOf(products));
      held.push(...products);
    },
    purgeOrder: async (orderId) => {
      await cache.invalidateEntities([entityTag('Order', orderId)]);
    },
    entitiesChanged: (entities) => publish(entities, entities),
    async announcing(entities, run) {
      const held: EntityRef[] = [];
      try {
        return await heldEvents.run(held, run);
      } finally {
        await publish([...held, ...entities], entities);
      }
    },
  };
  const { processors: wirings, background = [] } = wiring.wire(context);
  const workers: Worker[] = [];
  for (const queueName of workQueueNames) {
    const queueWiring = wirings[queueName] as QueueWiring<typeof queueName> | undefined;
    if (!queueWiring) continue;
    workers.push(
      createWorker(queueName, queueWiring.processors, {
        connection: workerConnection,
        prefix: config.queuePrefix,
        logger,
        deadLetters: queues['dead-letters'],
        metrics,
        concurrency: config.concurrency[queueName],
        stalledIntervalMs: config.stalledIntervalMs,
        lockDurationMs: config.jobLockMs,
        dependenciesDown: () => dependencyChecks().then(() => false, () => true),
        ...(queueWiring.onExhausted ? { onExhausted: queueWiring.onExhausted } : {}),
      }),
    );
  }

  const outbox = outboxTable();
  const dispatch = createDirectDispatch(wirings, { logger, metrics, concurrency: config.concurrency });
  const relays = wiring.outboxSubgraphs.map((subgraph) =>
    startOutboxRelay({ db: dbOf(subgraph), subgraph, outbox, connection: producerConnection, prefix: config.queuePrefix, logger, registry, dispatch }),
  );
  logger.info({ queues: workers.map((worker) => worker.name), outboxes: wiring.outboxSubgraphs }, 'workers started');

  const httpServer = createServer(app);
  return {
    httpServer,
    queues,
    async listen(port, host) {
      const bound = await listen(httpServer, port, host);
      return `http://${host ?? '127.0.0.1'}:${bound}`;
    },
    async close() {
      // Active jobs finish before their worker closes; a job never starts again elsewhere as stalled.
      await Promise.all([...workers.map((worker) => worker.close()), ...relays.map((relay) => relay.stop())]);
      // After the jobs: the settler commits what their last steps handed it.
      await Promise.all(background.map((task) => task.stop()));
      await closeQueues(queues);
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
      await Promise.all([...dbs.values()].map((db) => db.$client.end()));
      await Promise.all([producerConnection.quit(), workerConnection.quit(), throttleRedis.quit(), cache.close(), events.close()]);
    },
  };
}
