import { assertDependencies, createLogger, onShutdown, runMain } from '@shopgraph/common';
import { loadConfig } from './env.js';
import { startWorkers, type WorkersWiring } from './server.js';
import { DASHBOARD_PATH } from './dashboard.js';

/**
 * Runs a workers process with `wiring`: start-up checks, the dashboard port, and a draining
 * shutdown on SIGTERM/SIGINT (active jobs finish, then the process exits 0).
 */
export function runWorkersProcess(wiring: WorkersWiring): void {
  runMain(async () => {
    const config = loadConfig();
    const logger = createLogger('workers', config.logLevel);
    for (const warning of config.warnings) logger.warn(warning);
    await assertDependencies({ redis: config.redisUrl, postgres: config.databaseUrl });
    const workers = await startWorkers(config, wiring, logger);
    const url = await workers.listen(config.dashboardPort);
    logger.info({ dashboard: `${url}${DASHBOARD_PATH}` }, 'workers ready');
    onShutdown(logger, () => workers.close());
  });
}
