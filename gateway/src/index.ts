// First: the gateway's Apollo packages must load after it (see the module).
import './flat-apollo-exports.js';
import { createLogger, onShutdown, runMain } from '@shopgraph/common';
import { loadConfig } from './env.js';
import { createGatewayServer } from './server.js';

runMain(async () => {
  const config = loadConfig();
  const logger = createLogger('gateway', config);
  for (const warning of config.warnings) logger.warn(warning);
  const server = await createGatewayServer(config, logger);
  const url = await server.listen(config.port, config.host);
  const metrics = await server.listenMetrics(config.metrics.port, config.metrics.host);
  logger.info({ url, metrics, supergraph: config.supergraphPath }, 'gateway ready');
  onShutdown(logger, () => server.close());
});
