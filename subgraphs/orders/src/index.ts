import { assertDependencies, createLogger, onShutdown, runMain } from '@shopgraph/common';
import { loadConfig } from './env.js';
import { createOrdersServer } from './server.js';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger('orders', config);
  for (const warning of config.warnings) logger.warn(warning);
  // Redis holds the nonces of the gateway's signatures: without it every request would be refused.
  await assertDependencies({ postgres: config.databaseUrl, redis: config.redisUrl });
  const server = await createOrdersServer(config, logger);
  const url = await server.listen(config.port, config.host);
  logger.info({ url }, 'orders subgraph ready');
  onShutdown(logger, () => server.close());
});
