/**
 * `npx tsx bench/src/profile/top.ts <file.cpuprofile | dir>… [--top N]`: the top functions by
 * self time of CPU profiles, e.g. those a `BENCH_CPU_PROF=<dir> npm run bench` run wrote.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { repoRoot } from '../processes.js';
import { profileMarkdown, summariseProfile, summariseProfiles, type CpuProfile } from './summary.js';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const limit = topAt >= 0 ? Number(args[topAt + 1]) : 15;
const paths = args.filter((arg, i) => arg !== '--top' && args[i - 1] !== '--top');
if (paths.length === 0 || !Number.isInteger(limit) || limit < 1) {
  process.stderr.write('usage: npx tsx bench/src/profile/top.ts <file.cpuprofile | dir>… [--top N]\n');
  process.exit(2);
}
for (const path of paths) {
  const summaries = statSync(path).isDirectory()
    ? summariseProfiles(path, repoRoot, 0, limit)
    : [summariseProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, basename(path), repoRoot, limit)];
  for (const summary of summaries) process.stdout.write(`${profileMarkdown(summary)}\n\n`);
}
