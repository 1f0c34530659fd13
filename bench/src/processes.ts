import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serviceNodeFlags } from '../../scripts/node-flags.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A child process the benchmark started: the platform's own or one of the peers. */
export interface BenchProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The end of what it wrote to stderr (a start-up failure: runMain prints it there), when the benchmark started it. */
  stderrTail?: () => string;
}

/** Characters of a process's stderr kept to explain why it exited. */
const STDERR_TAIL = 4000;

/** A process that exited before it was ready; `portTaken` when another process had bound its port first. */
export class ExitedBeforeReady extends Error {
  readonly portTaken: boolean;

  constructor(process: BenchProcess) {
    const tail = process.stderrTail?.().trim() ?? '';
    super(
      `${process.name} exited (${process.child.exitCode ?? process.child.signalCode}) before it was ready${tail ? `: ${tail.slice(-1000)}` : ''}; rerun with BENCH_LOGS=bench/tmp/logs to see its whole output`,
    );
    // Its port was free when the benchmark chose it, but any process's outgoing connection may take it meanwhile.
    this.portTaken = tail.includes('EADDRINUSE');
  }
}

/**
 * Where children's output goes. By default nowhere (a process writing JSON logs still pays for
 * them, as in production); `BENCH_LOGS=<dir>` keeps each process's log in `<dir>/<name>.log`.
 */
export function outputFor(name: string, child: ChildProcess, logsDir: string | undefined): void {
  if (!logsDir) return;
  mkdirSync(logsDir, { recursive: true });
  const file = createWriteStream(`${logsDir}/${name.replace(/[^\w.-]+/g, '-')}.log`);
  // A log that cannot be written must not take the benchmark (and its cleanup) down.
  file.on('error', () => undefined);
  child.stdout?.pipe(file);
  child.stderr?.pipe(file);
}

/** Starts a TypeScript entry point the way the platform starts its processes: `node <the platform's Node flags> --import tsx`. */
export function startNode(name: string, cwd: string, entry: string, env: NodeJS.ProcessEnv, logsDir: string | undefined): BenchProcess {
  // stderr is always read (little goes there: a failure, not the JSON logs on stdout) to explain an early exit.
  const child = spawn(process.execPath, [...serviceNodeFlags, '--import', 'tsx', entry], {
    cwd,
    env,
    stdio: ['ignore', logsDir ? 'pipe' : 'ignore', 'pipe'],
  });
  let tail = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL);
  });
  outputFor(name, child, logsDir);
  return { name, child, pid: child.pid!, stderrTail: () => tail };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How long a process may take to start. Every process of a run starts at once (over twenty, each
 * loading its modules through tsx), so one start takes as long as all of them: about 95 s on a
 * shared 2-core machine at a load average of 30, more under a test runner. Only a process that
 * will never start waits this long.
 */
export const START_TIMEOUT_MS = 300_000;

/** Resolves once `probe` succeeds; rejects when the process exits first or `timeoutMs` runs out. */
export async function waitUntil(process: BenchProcess, probe: () => Promise<boolean>, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process.child.exitCode !== null || process.child.signalCode !== null) throw new ExitedBeforeReady(process);
    try {
      if (await probe()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${process.name} was not ready within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** A GraphQL server is ready when it answers `{ __typename }`. */
export const answersGraphQL = (url: string) => async () => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  return response.ok;
};

export const answersHealth = (url: string) => async () => (await fetch(url)).ok;

/** SIGTERM, then SIGKILL after `graceMs`; resolves when every process has exited. */
export async function stopAll(processes: BenchProcess[], graceMs = 10_000): Promise<void> {
  const alive = processes.filter(({ child }) => child.exitCode === null && child.signalCode === null);
  const exited = alive.map(({ child }) => new Promise((resolve) => child.once('exit', resolve)));
  for (const { child } of alive) child.kill('SIGTERM');
  const killer = setTimeout(() => alive.forEach(({ child }) => child.kill('SIGKILL')), graceMs);
  await Promise.all(exited);
  clearTimeout(killer);
}
