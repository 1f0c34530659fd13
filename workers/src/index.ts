import { createServer } from 'node:http';
import { assertDependencies, checkRedis, createLogger, createServiceApp, listen, onShutdown, runMain } from '@shopgraph/common';
import { loadConfig } from './env.js';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger('workers', config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  await assertDependencies({ redis: config.redisUrl });
  const { app } = createServiceApp({ service: 'workers', logger, checks: { redis: () => checkRedis(config.redisUrl) } });
  const server = createServer(app);
  const port = await listen(server, config.dashboardPort);
  logger.info({ port }, 'workers ready');
  onShutdown(logger, () => new Promise((resolve) => server.close(() => resolve())));
});
