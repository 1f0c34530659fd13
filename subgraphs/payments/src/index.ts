import { assertDependencies, createLogger, onShutdown, runMain } from '@shopgraph/common';
import { loadConfig } from './env.js';
import { createPaymentsServer } from './server.js';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger('payments', config);
  for (const warning of config.warnings) logger.warn(warning);
  // Redis holds the nonces of the gateway's signatures: without it every request would be refused.
  await assertDependencies({ postgres: config.databaseUrl, redis: config.redisUrl });
  const server = await createPaymentsServer(config, logger);
  const url = await server.listen(config.port, config.host);
  logger.info({ url }, 'payments subgraph ready');
  onShutdown(logger, () => server.close());
});
