import { createLogger, onShutdown, runMain } from '@shopgraph/common';
import { createWebServer } from './server/app.js';
import { ensureBuilt } from './server/build.js';
import { loadConfig } from './server/env.js';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger('web', config);
  await ensureBuilt(logger);
  const server = createWebServer(config, logger);
  const url = await server.listen(config.port, config.host);
  logger.info({ url, gateway: config.gatewayUrl.href }, 'storefront ready');
  onShutdown(logger, () => server.close());
});
