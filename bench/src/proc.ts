import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far, or null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Resident memory in MiB now, or null once the process is gone. */
export function rssMiB(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export interface ProcessUsage {
  /** CPU seconds used during the measured windows. */
  cpuSeconds: number;
  /** CPU seconds per wall-clock second: 1.0 is one core kept busy. */
  cores: number;
  /** Highest resident memory seen during the measured windows, MiB; null for a group of processes (their shared memory would count once per process). */
  peakRssMiB: number | null;
}

/**
 * Processes measured as one, found anew at every reading because they come and go (Postgres
 * backends: a pool opens and closes connections): each one's CPU seconds so far, by pid.
 */
export interface ProcessGroup {
  name: string;
  read(): Promise<Map<number, number>>;
}

/** CPU seconds a group used between two readings: a process seen only at the end started in between, so all of its time counts. */
export function groupCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of after) total += Math.max(0, cpu - (before.get(pid) ?? 0));
  return total;
}

/** `process.hrtime` in microseconds: the clock (CLOCK_MONOTONIC) V8 stamps CPU profile samples with, in every process of the machine. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

const windows: [number, number][] = [];

/** Every measured window of this run so far, [start, end] in monotonic microseconds: a profile summary reads only these samples. */
export function measuredWindowsUs(): [number, number][] {
  return windows.map(([start, end]) => [start, end]);
}

/**
 * Watches a set of processes over measured windows: CPU time between `begin` and `end`, and
 * resident memory sampled meanwhile. Several windows of the same system add up.
 */
export class UsageMeter {
  private readonly totals = new Map<string, { cpu: number; peak: number }>();
  private wallSeconds = 0;
  private window: { startedAt: number; startedAtUs: number; cpu: Map<string, number>; groups: Map<string, Map<number, number>>; sampler: NodeJS.Timeout } | null = null;

  constructor(
    private readonly pids: Map<string, number>,
    private readonly groups: ProcessGroup[] = [],
    private readonly sampleMs = 250,
  ) {}

  async begin(): Promise<void> {
    const groups = new Map(await Promise.all(this.groups.map(async (group) => [group.name, await group.read()] as const)));
    const cpu = new Map<string, number>();
    for (const [name, pid] of this.pids) cpu.set(name, cpuSeconds(pid) ?? 0);
    const sampler = setInterval(() => this.sampleMemory(), this.sampleMs);
    this.window = { startedAt: performance.now(), startedAtUs: monotonicUs(), cpu, groups, sampler };
    this.sampleMemory();
  }

  async end(): Promise<void> {
    const window = this.window;
    if (!window) throw new Error('UsageMeter.end() without begin()');
    this.window = null;
    clearInterval(window.sampler);
    this.sampleMemory();
    this.wallSeconds += (performance.now() - window.startedAt) / 1000;
    windows.push([window.startedAtUs, monotonicUs()]);
    for (const [name, pid] of this.pids) {
      const total = this.entry(name);
      total.cpu += (cpuSeconds(pid) ?? window.cpu.get(name) ?? 0) - (window.cpu.get(name) ?? 0);
    }
    for (const group of this.groups) {
      this.entry(group.name).cpu += groupCpuBetween(window.groups.get(group.name)!, await group.read());
    }
  }

  /** Usage per process over every window so far. */
  result(): Record<string, ProcessUsage> {
    const names = [...this.pids.keys(), ...this.groups.map((group) => group.name)];
    const grouped = new Set(this.groups.map((group) => group.name));
    return Object.fromEntries(
      names.map((name) => {
        const total = this.entry(name);
        const cores = this.wallSeconds > 0 ? total.cpu / this.wallSeconds : 0;
        return [name, { cpuSeconds: round(total.cpu, 3), cores: round(cores, 2), peakRssMiB: grouped.has(name) ? null : round(total.peak, 1) }];
      }),
    );
  }

  private sampleMemory(): void {
    for (const [name, pid] of this.pids) {
      const rss = rssMiB(pid);
      const total = this.entry(name);
      if (rss !== null && rss > total.peak) total.peak = rss;
    }
  }

  private entry(name: string) {
    let total = this.totals.get(name);
    if (!total) {
      total = { cpu: 0, peak: 0 };
      this.totals.set(name, total);
    }
    return total;
  }
}

export const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
