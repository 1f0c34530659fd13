import { createLogger, runMain } from '@shopgraph/common';
import { portsOf, startPlatform } from './platform.js';
import { setupPlatform } from './setup.js';

/** `npm start`: set up, then run every process in the foreground; Ctrl-C stops them all. */
runMain(async () => {
  await setupPlatform();
  const logger = createLogger('start');
  const platform = startPlatform(process.env);
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    platform.stop().then(() => process.exit(code));
  };
  // The terminal sends Ctrl-C to the children too; we wait for them to finish draining.
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  platform.firstExit.then(({ name, code, signal }) => {
    if (stopping) return;
    logger.error({ process: name, code, signal }, `${name} stopped unexpectedly: stopping the platform`);
    stop(1);
  });
  await platform.healthy();
  const ports = portsOf(process.env);
  logger.info(
    {
      storefront: `http://localhost:${ports.web}`,
      gateway: `http://localhost:${ports.gateway}/graphql`,
      dashboard: `http://localhost:${ports.workers}/queues`,
    },
    `Shopgraph is up: shop at http://localhost:${ports.web}, explore the graph at http://localhost:${ports.gateway}/graphql`,
  );
});
