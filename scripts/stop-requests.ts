import type { Logger } from '@shopgraph/common';

/** The signals that stop a supervisor: Ctrl-C, `kill`, a closed terminal. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/**
 * How long a repeat of the first signal counts as the same request. npm hands its child every
 * SIGINT and SIGTERM it gets (@npmcli/run-script's signal-manager), so a Ctrl-C reaches this
 * process twice: once from the terminal, once through npm (npm/cli#5021); turbo passes it on too.
 */
const SAME_REQUEST_MS = 1000;
/** How often the parent is looked for: if it died without a signal to pass on, nobody else will stop us. */
const PARENT_CHECK_MS = 500;

/** What a supervisor does when asked to stop: let its processes drain, or kill them. */
export interface Supervisor {
  /** Resolves once every process has exited, drained or killed. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/**
 * Stops `supervisor` on SIGINT, SIGTERM or SIGHUP, or when the process that started this one
 * dies, then exits: 0 when every process drained, 1 when a second signal killed them.
 * `subject` names what stops in the log line ("the platform"). Returns whether a stop has begun.
 */
export function stopOnRequest(logger: Logger, subject: string, supervisor: Supervisor): () => boolean {
  let stopping: { signal: NodeJS.Signals | undefined; at: number; code: number } | undefined;
  const stop = (signal?: NodeJS.Signals) => {
    if (stopping) {
      if (signal === undefined || (signal === stopping.signal && Date.now() - stopping.at < SAME_REQUEST_MS)) return;
      logger.warn({ signal }, 'second signal: killing every process');
      stopping.code = 1;
      void supervisor.kill();
      return;
    }
    stopping = { signal, at: Date.now(), code: 0 };
    logger.info({ signal }, `stopping ${subject}: every process drains (a second signal kills them)`);
    void supervisor.stop().then(() => process.exit(stopping!.code));
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal));

  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid === parent) return;
    if (!stopping) logger.info({ parent }, `the process that started ${subject} is gone`);
    stop();
  }, PARENT_CHECK_MS).unref();
  return () => stopping !== undefined;
}
