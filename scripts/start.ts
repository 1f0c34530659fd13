import { createLogger, runMain } from '@shopgraph/common';
import { portsOf, startPlatform } from './platform.js';
import { unexpectedExitMessage } from './restart-backoff.js';
import { loadSetupConfig } from './setup-env.js';
import { setupPlatform } from './setup.js';
import { stopOnRequest } from './stop-requests.js';

/**
 * `npm start`: set up, then run every process in the foreground, restarting one that exits
 * unexpectedly (scripts/platform.ts, `Supervision`). SIGINT, SIGTERM or SIGHUP (to
 * npm, which `exec`s this process, or to this process) drains every process, and so does the
 * death of npm; a second signal kills them all at once. The children stop with this process
 * however it ends: each watches its IPC channel to it (scripts/platform.ts).
 */
runMain(async () => {
  await setupPlatform();
  const logger = createLogger('start', loadSetupConfig());
  // A process that exits unexpectedly is restarted with backoff; the others keep serving.
  const platform = startPlatform(process.env, 'inherit', {
    supervision: {
      onExit: (name, child, code, signal) => logger.info({ process: name, pid: child.pid, code, signal }, `${name} exited`),
      onUnexpectedExit: ({ name, pid, code, signal, restarts, restartInMs }) =>
        logger.error({ process: name, pid, code, signal, restarts, restartInMs }, unexpectedExitMessage(name, code, signal, restartInMs)),
      onRestarted: (name, child) => logger.info({ process: name, pid: child.pid }, `${name} restarted`),
    },
  });

  const stopping = stopOnRequest(logger, 'the platform', platform);

  // However long a loaded machine takes: a process that fails meanwhile is restarted, not fatal.
  await platform.healthy(Number.POSITIVE_INFINITY);
  if (stopping()) return;
  const ports = portsOf(process.env);
  logger.info(
    {
      storefront: `http://localhost:${ports.web}`,
      gateway: `http://localhost:${ports.gateway}/graphql`,
      dashboard: `http://localhost:${ports.workers}/queues`,
      processes: Object.fromEntries([...platform.children].map(([name, child]) => [name, child.pid])),
    },
    `Shopgraph is up: shop at http://localhost:${ports.web}, explore the graph at http://localhost:${ports.gateway}/graphql`,
  );
});
