import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { round } from '../proc.js';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` and the inspector's Profiler write) a summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  /** The node sampled at each tick, and the microseconds before each tick. */
  samples?: number[];
  timeDeltas?: number[];
}

/** One function's self time: the samples in which it, not a callee, was running. */
export interface TopFunction {
  function: string;
  /** Where it is defined: `path:line`, relative to the repository or from `node_modules/`. */
  location: string;
  selfMs: number;
  /** Of the busy time (idle left out). */
  selfShare: number;
}

export interface ProfileSummary {
  /** The profile's file name: `<label>.<pid>.cpuprofile` for the bench's processes. */
  file: string;
  /** Which samples were read: those inside the given windows, or the whole profile. */
  span: 'measured windows' | 'whole profile';
  /** Sampled milliseconds with JavaScript, the compiler, or the garbage collector running. */
  busyMs: number;
  idleMs: number;
  top: TopFunction[];
}

/** Functions V8 samples outside any script; `(idle)` is time spent waiting. */
const IDLE = '(idle)';

function locationOf(url: string, line: number, repoRoot: string): string {
  if (!url) return '';
  let path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) path = path.slice(modules + 1);
  else if (path.startsWith(repoRoot)) path = path.slice(repoRoot.length);
  return line >= 0 ? `${path}:${line + 1}` : path;
}

/**
 * The `limit` functions with the most self time. With `windows` ([start, end] in the monotonic
 * microseconds V8 stamps samples with, `process.hrtime`'s clock), only samples inside them count:
 * a process's profile covers its whole life, and start-up (module loading) would otherwise crowd
 * out what the measured load cost.
 */
export function summariseProfile(profile: CpuProfile, file: string, repoRoot = '', limit = 15, windows?: [number, number][]): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const timeline = Boolean(profile.samples && profile.timeDeltas && profile.samples.length > 0);
  if (timeline) {
    // Delta i+1 is the time from sample i to the next one: the time sample i stands for.
    const samples = profile.samples!;
    const timeDeltas = profile.timeDeltas!;
    const sorted = windows ? [...windows].sort((a, b) => a[0] - b[0]) : null;
    let at = profile.startTime;
    let w = 0;
    for (let i = 0; i < samples.length; i++) {
      at += timeDeltas[i] ?? 0;
      if (sorted) {
        while (w < sorted.length && sorted[w]![1] < at) w++;
        if (w === sorted.length || sorted[w]![0] > at) continue;
      }
      const us = i + 1 < timeDeltas.length ? timeDeltas[i + 1]! : 0;
      selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, us));
    }
  } else {
    // No timeline: spread the profile's duration evenly over its hits.
    const hits = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
    const usPerHit = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * usPerHit);
  }
  const byFunction = new Map<string, { function: string; location: string; us: number }>();
  let busyUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === IDLE) {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const location = locationOf(frame.url, frame.lineNumber, repoRoot);
    const name = frame.functionName || '(anonymous)';
    const key = `${name}\u0000${location}`;
    const entry = byFunction.get(key) ?? { function: name, location, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const top = [...byFunction.values()]
    .filter((entry) => entry.us > 0)
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((entry) => ({ function: entry.function, location: entry.location, selfMs: round(entry.us / 1000, 1), selfShare: busyUs > 0 ? round(entry.us / busyUs, 3) : 0 }));
  return { file, span: windows && timeline ? 'measured windows' : 'whole profile', busyMs: round(busyUs / 1000, 1), idleMs: round(idleUs / 1000, 1), top };
}

/** Every `.cpuprofile` in `dir` written since `since` (epoch ms), summarised, the busiest first. */
export function summariseProfiles(dir: string, repoRoot: string, since = 0, limit = 15, windows?: [number, number][]): ProfileSummary[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile') && statSync(join(dir, name)).mtimeMs >= since)
    .map((name) => summariseProfile(JSON.parse(readFileSync(join(dir, name), 'utf8')) as CpuProfile, basename(name), repoRoot, limit, windows))
    .sort((a, b) => b.busyMs - a.busyMs);
}

/** A summary as a Markdown table. */
export function profileMarkdown(summary: ProfileSummary): string {
  return [
    `#### ${summary.file}`,
    '',
    `${summary.span === 'measured windows' ? 'During the measured rounds: ' : ''}${summary.busyMs} ms busy, ${summary.idleMs} ms idle; top ${summary.top.length} functions by self time:`,
    '',
    '| # | function | where | self ms | of busy |',
    '|---:|---|---|---:|---:|',
    ...summary.top.map((f, i) => `| ${i + 1} | \`${f.function}\` | ${f.location ? `\`${f.location}\`` : ''} | ${f.selfMs} | ${round(f.selfShare * 100, 1)} % |`),
  ].join('\n');
}
