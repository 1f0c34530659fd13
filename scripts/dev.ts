import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseEnv, createLogger, parseEnv, toBaseConfig } from '@shopgraph/common';
import { serviceNodeFlags } from './node-flags.js';
import { restartPlan, unexpectedExitMessage } from './restart-backoff.js';
import { stopOnRequest } from './stop-requests.js';

/**
 * `npm run dev`'s runner for one service: each workspace's `dev` script under `turbo run dev`
 * (`node --import tsx <this file> src/index.ts`, from the workspace). It runs the entry point
 * through tsx and
 * - starts it again when its code changes, after the old process has drained (its port is free);
 * - restarts it with backoff when it exits unexpectedly, saying why (scripts/restart-backoff.ts),
 *   as `npm start` does. `tsx watch` instead waits for the next file change after a crash,
 *   leaving the service down while Postgres or Redis, say, is back long since;
 * - stops on Ctrl-C, SIGTERM or SIGHUP, or when turbo goes, letting the service drain first.
 * The code that can change a service is its own `src` and the shared `packages/*` (the import
 * rules, docs/architecture.md): those are watched. Tests are not the service's code.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
/** Several writes of one save arrive as several events: one restart follows them all. */
const SETTLE_MS = 100;
/** How long a service may drain before it is killed to make way for its new code. */
const DRAIN_GRACE_MS = 10_000;

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node --import tsx scripts/dev.ts <entry point>, from the workspace to run');
  process.exit(2);
}
const workspace = process.cwd();
const name = (JSON.parse(readFileSync(join(workspace, 'package.json'), 'utf8')) as { name: string }).name.replace(/^@shopgraph\//, '');
const logger = createLogger('dev', toBaseConfig(parseEnv(baseEnv, process.env)));
// The loader by its location, so that the entry point needs no tsx of its own.
const tsx = import.meta.resolve('tsx');

let child: ChildProcess | undefined;
/** Every process of this service still running: the current one, and one draining for new code. */
const running = new Set<ChildProcess>();
let restarts = 0;
let restartTimer: NodeJS.Timeout | undefined;
let stopping = false;

function start(): void {
  const startedAt = Date.now();
  const current = spawn(process.execPath, [...serviceNodeFlags, '--import', tsx, entry!], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  child = current;
  running.add(current);
  current.once('exit', (code, signal) => {
    running.delete(current);
    // Replaced for new code, or stopping: an exit that was asked for.
    if (current !== child || stopping) return;
    child = undefined;
    const plan = restartPlan(restarts, Date.now() - startedAt);
    logger.error({ process: name, pid: current.pid, code, signal, ...plan }, unexpectedExitMessage(name, code, signal, plan.restartInMs));
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      restarts = plan.restarts + 1;
      start();
    }, plan.restartInMs);
  });
}

const exitOf = (service: ChildProcess) => new Promise((resolve) => (running.has(service) ? service.once('exit', resolve) : resolve(undefined)));

/** Asks `service` to drain (closes its IPC channel: `onShutdown` in packages/common/src/main.ts), kills it after `graceMs`. */
async function drain(service: ChildProcess, graceMs: number): Promise<void> {
  if (!running.has(service)) return;
  if (service.connected) service.disconnect();
  const killer = setTimeout(() => service.kill('SIGKILL'), graceMs);
  await exitOf(service);
  clearTimeout(killer);
}

let settle: NodeJS.Timeout | undefined;
let changed: string | undefined;
let reloading: Promise<void> | undefined;

/** New code: the running process drains, then the new one starts — at once, whatever the backoff was. */
async function reload(): Promise<void> {
  while (changed !== undefined && !stopping) {
    const file = changed;
    changed = undefined;
    logger.info({ process: name, file }, `${file} changed: restarting ${name}`);
    clearTimeout(restartTimer);
    restartTimer = undefined;
    restarts = 0;
    const old = child;
    child = undefined;
    if (old) await drain(old, DRAIN_GRACE_MS);
    if (!stopping) start();
  }
  reloading = undefined;
}

function onChange(file: string): void {
  if (file.includes('node_modules') || /\.test\.[jt]sx?$/.test(file)) return;
  changed = relative(root, file);
  clearTimeout(settle);
  settle = setTimeout(() => {
    reloading ??= reload();
  }, SETTLE_MS);
}

const watched = [join(workspace, 'src'), ...readdirSync(join(root, 'packages')).map((pkg) => join(root, 'packages', pkg, 'src'))];
const watchers: FSWatcher[] = watched.map((dir) =>
  watch(dir, { recursive: true }, (_event, file) => {
    if (file) onChange(join(dir, file));
  }),
);

start();
stopOnRequest(logger, name, {
  async stop() {
    stopping = true;
    clearTimeout(restartTimer);
    clearTimeout(settle);
    for (const watcher of watchers) watcher.close();
    await reloading;
    if (child) await drain(child, DRAIN_GRACE_MS);
  },
  async kill() {
    const alive = [...running];
    for (const service of alive) service.kill('SIGKILL');
    await Promise.all(alive.map(exitOf));
  },
});
