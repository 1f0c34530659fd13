import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serviceNodeFlags } from './node-flags.js';
import { restartPlan, type RestartPlan } from './restart-backoff.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Every long-running process of the platform, with the env var that sets its port, in start
 * order: the payment provider before payments and the workers that call it.
 */
export const platformProcesses = [
  { name: 'payment-provider', dir: 'payment-provider', portEnv: 'PAYMENT_PROVIDER_PORT', defaultPort: 4005 },
  { name: 'products', dir: 'subgraphs/products', portEnv: 'PRODUCTS_PORT', defaultPort: 4001 },
  { name: 'users', dir: 'subgraphs/users', portEnv: 'USERS_PORT', defaultPort: 4002 },
  { name: 'orders', dir: 'subgraphs/orders', portEnv: 'ORDERS_PORT', defaultPort: 4003 },
  { name: 'payments', dir: 'subgraphs/payments', portEnv: 'PAYMENTS_PORT', defaultPort: 4004 },
  { name: 'gateway', dir: 'gateway', portEnv: 'GATEWAY_PORT', defaultPort: 4000 },
  { name: 'workers', dir: 'workers', portEnv: 'DASHBOARD_PORT', defaultPort: 4010 },
  // The storefront's entry sits beside its browser app (web/src), not in it.
  { name: 'web', dir: 'web', portEnv: 'WEB_PORT', defaultPort: 3000, entry: 'server.ts' },
] as const;

export type ProcessName = (typeof platformProcesses)[number]['name'];

export interface RunningPlatform {
  /** The process running each service now (a supervised platform replaces one that exited). */
  children: Map<ProcessName, ChildProcess>;
  /**
   * Resolves when every process answers GET /health; rejects if one exits first (unless
   * supervised: an exit there is restarted, and only the deadline fails the wait).
   */
  healthy(timeoutMs?: number): Promise<void>;
  /** Asks every process to drain (closes its IPC channel), SIGKILL after `graceMs`; resolves when all have exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to every process still running (what a second Ctrl-C asks for); resolves when all have exited. */
  kill(): Promise<void>;
  /** Resolves with the first process to exit on its own. */
  firstExit: Promise<{ name: ProcessName; code: number | null; signal: NodeJS.Signals | null }>;
}

/** An exit nobody asked for, and what the supervisor does about it. */
export interface UnexpectedExit extends RestartPlan {
  name: ProcessName;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * How `npm start` runs its processes, as an orchestrator would: a process that exits while the
 * platform is not stopping is started again after a backoff (scripts/restart-backoff.ts); the
 * others go on serving.
 */
export interface Supervision {
  /** Every exit, expected or not, of every process (the first and the restarted ones). */
  onExit?(name: ProcessName, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void;
  /** An exit the platform did not ask for: a restart follows after `restartInMs`. */
  onUnexpectedExit(exit: UnexpectedExit): void;
  /** The process that replaced the one that exited. */
  onRestarted?(name: ProcessName, child: ChildProcess): void;
}

/** The ports a platform run uses: each from `env` or the contract's default. */
export function portsOf(env: NodeJS.ProcessEnv): Record<ProcessName, number> {
  return Object.fromEntries(
    platformProcesses.map((p) => [p.name, Number(env[p.portEnv] ?? p.defaultPort)]),
  ) as Record<ProcessName, number>;
}

/** The URLs the processes call each other on for these ports: the gateway's subgraphs, the payment provider, the gateway. */
export function serviceUrlEnv(ports: Record<ProcessName, number>): Record<string, string> {
  return {
    PAYMENT_PROVIDER_URL: `http://127.0.0.1:${ports['payment-provider']}`,
    PRODUCTS_URL: `http://127.0.0.1:${ports.products}/graphql`,
    USERS_URL: `http://127.0.0.1:${ports.users}/graphql`,
    ORDERS_URL: `http://127.0.0.1:${ports.orders}/graphql`,
    PAYMENTS_URL: `http://127.0.0.1:${ports.payments}/graphql`,
    GATEWAY_URL: `http://127.0.0.1:${ports.gateway}/graphql`,
  };
}

/**
 * Starts every process as a child running its TypeScript entry point through tsx, with the
 * platform's Node flags (scripts/node-flags.ts).
 * `stdio: 'inherit'` for a person's terminal; 'ignore' or 'pipe' for tests. Each child has an IPC
 * channel to this process: closing it asks the child to drain (`onShutdown` in
 * packages/common/src/main.ts), and it closes by itself when this process dies, however it dies,
 * so no child outlives the process that started it.
 */
export interface PlatformOptions {
  /** Restart processes that exit unexpectedly (`npm start`); without it, tests see every exit. */
  supervision?: Supervision;
  /** The processes to start, when not all of them (a test that needs no storefront). */
  only?: readonly ProcessName[];
}

export function startPlatform(
  env: NodeJS.ProcessEnv,
  stdio: 'inherit' | 'ignore' | 'pipe' = 'inherit',
  { supervision, only }: PlatformOptions = {},
): RunningPlatform {
  const specs = platformProcesses.filter((spec) => !only || only.includes(spec.name));
  const ports = portsOf(env);
  const childEnv = { ...serviceUrlEnv(ports), ...env };
  const children = new Map<ProcessName, ChildProcess>();
  const restartTimers = new Set<NodeJS.Timeout>();
  let stopping = false;
  const exits: Promise<{ name: ProcessName; code: number | null; signal: NodeJS.Signals | null }>[] = [];
  const run = (spec: (typeof platformProcesses)[number], restarts: number): ChildProcess => {
    const child = spawn(process.execPath, [...serviceNodeFlags, '--import', 'tsx', 'entry' in spec ? spec.entry : 'src/index.ts'], {
      cwd: `${root}/${spec.dir}`,
      env: childEnv,
      stdio: [stdio, stdio, stdio, 'ipc'],
    });
    const startedAt = Date.now();
    children.set(spec.name, child);
    child.once('exit', (code, signal) => {
      supervision?.onExit?.(spec.name, child, code, signal);
      if (!supervision || stopping) return;
      const plan = restartPlan(restarts, Date.now() - startedAt);
      supervision.onUnexpectedExit({ name: spec.name, pid: child.pid, code, signal, ...plan });
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (stopping) return;
        supervision.onRestarted?.(spec.name, run(spec, plan.restarts + 1));
      }, plan.restartInMs);
      restartTimers.add(timer);
    });
    return child;
  };
  for (const spec of specs) {
    const child = run(spec, 0);
    exits.push(new Promise((resolve) => child.once('exit', (code, signal) => resolve({ name: spec.name, code, signal }))));
  }
  const firstExit = Promise.race(exits);

  return {
    children,
    firstExit,
    async healthy(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      const exited = supervision
        ? new Promise<never>(() => undefined)
        : firstExit.then(({ name, code }) => {
            if (!stopping) throw new Error(`${name} exited with code ${code} before it was healthy`);
          });
      const allHealthy = Promise.all(
        specs.map(async (spec) => {
          for (;;) {
            try {
              const response = await fetch(`http://127.0.0.1:${ports[spec.name]}/health`);
              if (response.ok) return;
            } catch {
              // not listening yet
            }
            if (Date.now() > deadline) throw new Error(`${spec.name} was not healthy within ${timeoutMs} ms`);
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }),
      );
      await Promise.race([allHealthy, exited]);
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      for (const timer of restartTimers) clearTimeout(timer);
      const alive = [...children.values()].filter(isRunning);
      // Not a signal: a child that already got the terminal's Ctrl-C keeps draining instead of
      // taking this for a second signal.
      for (const child of alive) if (child.connected) child.disconnect();
      const killer = setTimeout(() => alive.forEach((child) => child.kill('SIGKILL')), graceMs);
      await Promise.all(alive.map(exitOf));
      clearTimeout(killer);
    },
    async kill() {
      stopping = true;
      for (const timer of restartTimers) clearTimeout(timer);
      const alive = [...children.values()].filter(isRunning);
      for (const child of alive) child.kill('SIGKILL');
      await Promise.all(alive.map(exitOf));
    },
  };
}

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
const exitOf = (child: ChildProcess) => new Promise((resolve) => (isRunning(child) ? child.once('exit', resolve) : resolve(undefined)));
