/**
 * `BENCH_CPU_PROF=<dir>`: what `node --cpu-prof --cpu-prof-dir=<dir>` does, for processes the
 * bench cannot give command-line flags (the platform's, started by scripts/platform.ts) — Node 20
 * refuses `--cpu-prof` in NODE_OPTIONS, but accepts `--import` of this file. It starts V8's
 * sampling profiler (1 ms, --cpu-prof's interval) at start-up and writes
 * `<dir>/<label>.<pid>.cpuprofile` when the process exits (a drain ending in process.exit does;
 * a SIGKILL does not). The label is BENCH_CPU_PROF_LABEL, else the process's folder (`orders`).
 * Plain JavaScript: it runs before tsx is loaded.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // A session on the main thread answers synchronously, so the profile is written before exit.
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      const label = (process.env.BENCH_CPU_PROF_LABEL ?? basename(process.cwd())).replace(/[^\w.-]+/g, '-');
      writeFileSync(`${dir}/${label}.${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
