import { createLogger, onShutdown, runMain } from '@shopgraph/common';
import { loadConfig } from './env.js';
import { createPaymentProviderServer } from './server.js';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger('payment-provider', config);
  for (const warning of config.warnings) logger.warn(warning);
  const server = createPaymentProviderServer(config, logger);
  const url = await server.listen(config.port, config.host);
  logger.info({ url, latencyMs: config.latencyMs }, 'payment-provider simulator ready');
  onShutdown(logger, () => server.close());
});
