import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serviceNodeFlags } from '../../scripts/node-flags.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** One process of the platform, as a Kubernetes pod would run it: its directory, entry and env. */
export interface ReplicaSpec {
  /** `products-1`, `gateway-2` … */
  name: string;
  kind: string;
  dir: string;
  entry: string;
  /** Arguments after the entry. */
  args?: string[];
  port: number;
  env: Record<string, string>;
}

/** A replica that can be killed and started again on the same port, as a pod restarted in place. */
export class Replica {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Every start, for the report: when it was asked to start and when it answered /ready. */
  readonly starts: { at: number; readyAt?: number }[] = [];

  constructor(
    readonly spec: ReplicaSpec,
    private readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [...serviceNodeFlags, '--import', 'tsx', this.spec.entry, ...(this.spec.args ?? [])], {
      cwd: `${root}${this.spec.dir}`,
      env: { PATH: process.env.PATH ?? '', ...this.spec.env },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.starts.push({ at: Date.now() });
  }

  /** Resolves once GET /ready answers 200; rejects if the process exits or `timeoutMs` passes. */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.spec.name} exited before it was ready (log: ${this.logFile})`);
      try {
        const response = await fetch(`${this.url}/ready`, { signal: AbortSignal.timeout(2000) });
        await response.body?.cancel();
        if (response.ok) {
          const start = this.starts.at(-1);
          if (start && start.readyAt === undefined) start.readyAt = Date.now();
          return;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.spec.name} was not ready within ${timeoutMs} ms (log: ${this.logFile})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGKILL: no draining, no goodbye — a node lost, an OOM kill. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, as Kubernetes ends a pod; SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
