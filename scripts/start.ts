import { createLogger, runMain } from '@shopgraph/common';
import { portsOf, startPlatform } from './platform.js';
import { loadSetupConfig } from './setup-env.js';
import { setupPlatform } from './setup.js';

/** The signals that stop the platform: Ctrl-C, `kill`, a closed terminal. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/**
 * How long a repeat of the first signal counts as the same request. npm hands its child every
 * SIGINT and SIGTERM it gets (@npmcli/run-script's signal-manager), so a Ctrl-C reaches this
 * process twice: once from the terminal, once through npm (npm/cli#5021).
 */
const SAME_REQUEST_MS = 1000;
/** How often the parent is looked for: if it died without a signal to pass on, nobody else will stop us. */
const PARENT_CHECK_MS = 500;

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
        logger.error(
          { process: name, pid, code, signal, restarts, restartInMs },
          `${name} stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}): restarting it in ${restartInMs / 1000} s`,
        ),
      onRestarted: (name, child) => logger.info({ process: name, pid: child.pid }, `${name} restarted`),
    },
  });

  let stopping: { signal: NodeJS.Signals | undefined; at: number; code: number } | undefined;
  const stop = (code: number, signal?: NodeJS.Signals) => {
    if (stopping) {
      if (signal === undefined || (signal === stopping.signal && Date.now() - stopping.at < SAME_REQUEST_MS)) return;
      logger.warn({ signal }, 'second signal: killing every process');
      stopping.code = 1;
      void platform.kill();
      return;
    }
    stopping = { signal, at: Date.now(), code };
    logger.info({ signal }, 'stopping the platform: every process drains (a second signal kills them)');
    // Resolves once every process has exited, drained or killed.
    void platform.stop().then(() => process.exit(stopping!.code));
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => stop(0, signal));

  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid === parent) return;
    if (!stopping) logger.info({ parent }, 'the process that started the platform is gone');
    stop(0);
  }, PARENT_CHECK_MS).unref();

  // However long a loaded machine takes: a process that fails meanwhile is restarted, not fatal.
  await platform.healthy(Number.POSITIVE_INFINITY);
  if (stopping) return;
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
