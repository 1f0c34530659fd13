import { assertDependencies, createLogger, DependencyError, onShutdown, runMain } from '@shopgraph/common';
import { databaseUrlsOf, loadConfig, type WorkersConfig } from './env.js';
import { startWorkers, type WorkersWiring } from './server.js';
import { DASHBOARD_PATH } from './dashboard.js';

/** Redis and every subgraph's database (each may be a server of its own), all named in one error. */
async function assertWorkersDependencies(config: WorkersConfig): Promise<void> {
  const checks = [assertDependencies({ redis: config.redisUrl }), ...databaseUrlsOf(config).map((postgres) => assertDependencies({ postgres }))];
  const failures = (await Promise.allSettled(checks)).flatMap((check) => (check.status === 'rejected' ? [(check.reason as Error).message] : []));
  if (failures.length > 0) throw new DependencyError(failures.join('\n'));
}

/**
 * Runs a workers process with `wiring`: start-up checks, the dashboard port, and a draining
 * shutdown on SIGTERM/SIGINT (active jobs finish, then the process exits 0).
 */
export function runWorkersProcess(wiring: WorkersWiring): void {
  runMain(async () => {
    const config = loadConfig();
    const logger = createLogger('workers', config);
    for (const warning of config.warnings) logger.warn(warning);
    await assertWorkersDependencies(config);
    const workers = await startWorkers(config, wiring, logger);
    const url = await workers.listen(config.dashboardPort, config.host);
    logger.info({ dashboard: `${url}${DASHBOARD_PATH}` }, 'workers ready');
    onShutdown(logger, () => workers.close());
  });
}
