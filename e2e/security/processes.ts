import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Exit {
  /** null when a signal ended it. */
  code: number | null;
  stderr: string;
}

export interface StartedEntry {
  /** Resolves when the process exits, for whatever reason. */
  exited: Promise<Exit>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<Exit>;
}

/**
 * Starts one of the platform's entry points (`dir` relative to the repository, `entry` relative
 * to it) as `npm start` does, with `env` as its whole environment (PATH and HOME added).
 */
export function startEntry(dir: string, entry: string, env: Record<string, string>, args: string[] = []): StartedEntry {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: `${root}${dir}`,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
  return {
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

/**
 * Runs an entry point that is expected to stop by itself (a refusal, a setup step). One that
 * keeps running is killed at the deadline, so the test fails (code null) instead of hanging.
 */
export async function runToExit(dir: string, entry: string, env: Record<string, string>, args: string[] = []): Promise<Exit> {
  const started = startEntry(dir, entry, env, args);
  const deadline = setTimeout(() => void started.kill(), 45_000);
  try {
    return await started.exited;
  } finally {
    clearTimeout(deadline);
  }
}

/** Resolves once `url` answers 200; rejects if the process exits first or the generous deadline passes. */
export async function healthy(url: string, started: StartedEntry, timeoutMs = 45_000): Promise<void> {
  let exit: Exit | undefined;
  void started.exited.then((outcome) => (exit = outcome));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exit) throw new Error(`exited with code ${exit.code} before it was healthy:\n${exit.stderr}`);
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
