import { assertDependencies, createLogger, onShutdown, runMain } from '@shopgraph/common';
import { loadConfig } from './env.js';
import { createProductsServer } from './server.js';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger('products', config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  await assertDependencies({ postgres: config.databaseUrl });
  const server = await createProductsServer(config, logger);
  const url = await server.listen(config.port);
  logger.info({ url }, 'products subgraph ready');
  onShutdown(logger, () => server.close());
});
