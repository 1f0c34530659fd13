/**
 * How a supervisor (`npm start`'s, scripts/platform.ts; `npm run dev`'s, scripts/dev.ts) waits
 * before starting again a process that exited unexpectedly, as an orchestrator would: 1 s,
 * doubling to 30 s while the process keeps exiting within a minute of its start; a process that
 * ran longer than that starts over at 1 s.
 */
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A process that ran this long before exiting restarts after the first delay again. */
const STABLE_RUN_MS = 60_000;

export interface RestartPlan {
  /** Restarts so far that came soon after the previous start (the backoff's exponent). */
  restarts: number;
  /** When the new process starts. */
  restartInMs: number;
}

/** The delay before the next start of a process started `restarts` times back to back, which ran for `ranMs`. */
export function restartPlan(restarts: number, ranMs: number): RestartPlan {
  const backToBack = ranMs < STABLE_RUN_MS ? restarts : 0;
  return { restarts: backToBack, restartInMs: Math.min(FIRST_RESTART_DELAY_MS * 2 ** backToBack, MAX_RESTART_DELAY_MS) };
}

/** The log line of an exit nobody asked for: what ended the process and when it starts again. */
export function unexpectedExitMessage(name: string, code: number | null, signal: NodeJS.Signals | null, restartInMs: number): string {
  return `${name} stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}): restarting it in ${restartInMs / 1000} s`;
}
