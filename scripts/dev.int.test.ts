import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLogLines, type LogLine } from '@shopgraph/testing';
import { afterEach, describe, expect, it } from 'vitest';

const devScript = fileURLToPath(new URL('dev.ts', import.meta.url));
// By its location: the service's workspace is outside the repository, where `tsx` resolves to nothing.
const tsx = import.meta.resolve('tsx');
/** For failing only: a start on a loaded two-core machine takes well under this. */
const DEADLINE_MS = 60_000;

type Line = LogLine;

/**
 * A service of its own: prints a line with its pid and the value its code holds when it starts,
 * and another when it is asked to drain (its IPC channel closes), as `onShutdown` does.
 */
const SERVICE = `
import { value } from './value.js';
const say = (line: object) => process.stdout.write(JSON.stringify({ fixture: true, pid: process.pid, ...line }) + '\\n');
say({ msg: 'started', value });
process.on('disconnect', () => {
  say({ msg: 'drained' });
  process.exit(0);
});
`;

interface Dev {
  runner: ChildProcess;
  lines: Line[];
  /** Resolves with the first line after the `after`-th that `matches` accepts, already printed or to come. */
  line(matches: (line: Line) => boolean, after?: number): Promise<Line>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Replaces the value the service's code holds: a save in an editor. */
  edit(value: string): void;
}

const started: { runner: ChildProcess; dir: string }[] = [];

afterEach(() => {
  for (const { runner, dir } of started.splice(0)) {
    runner.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/** scripts/dev.ts run from a workspace of its own, as `turbo run dev` runs it. */
function runDev(value: string): Dev {
  const dir = mkdtempSync(join(tmpdir(), 'sg-dev-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@shopgraph/fixture' }));
  writeFileSync(join(dir, 'src', 'index.ts'), SERVICE);
  const edit = (next: string) => writeFileSync(join(dir, 'src', 'value.ts'), next);
  edit(value);
  const runner = spawn(process.execPath, ['--import', tsx, devScript, 'src/index.ts'], {
    cwd: dir,
    env: { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push({ runner, dir });
  // The service's own failures (the broken start on purpose) and the runner's, for a failure's message.
  let stderr = '';
  runner.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    runner.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const { lines, line } = readLogLines(runner.stdout!, exited, () => `dev exited (${runner.exitCode})\n${stderr}`);
  return { runner, lines, line, exited, edit };
}

const startedWith = (value: number) => (line: Line) => line.fixture === true && line.msg === 'started' && line.value === value;
const drainedOf = (pid: unknown) => (line: Line) => line.fixture === true && line.msg === 'drained' && line.pid === pid;

describe('npm run dev runs each service', () => {
  it('restarts the service with backoff when it dies, saying why, and lets it drain on SIGTERM', { timeout: DEADLINE_MS * 2 }, async () => {
    const dev = runDev('export const value = 1;');
    const first = await dev.line(startedWith(1));
    process.kill(first.pid as number, 'SIGKILL');

    const why = await dev.line((line) => line.service === 'dev' && String(line.msg).includes('stopped unexpectedly'));
    expect(why).toMatchObject({ process: 'fixture', pid: first.pid, signal: 'SIGKILL', restarts: 0, restartInMs: 1000 });
    expect(why.msg).toBe('fixture stopped unexpectedly (signal SIGKILL): restarting it in 1 s');
    const second = await dev.line((line) => startedWith(1)(line) && line.pid !== first.pid);

    dev.runner.kill('SIGTERM');
    expect(await dev.exited).toEqual({ code: 0, signal: null });
    expect(dev.lines).toContainEqual(expect.objectContaining({ fixture: true, msg: 'drained', pid: second.pid }));
  });

  it('backs off while the service keeps failing at start, and starts the fixed code at once', { timeout: DEADLINE_MS * 2 }, async () => {
    const dev = runDev("throw new Error('broken on purpose');\nexport const value = 0;");
    const failed = (restartInMs: number) => (line: Line) =>
      line.service === 'dev' && String(line.msg).includes('stopped unexpectedly') && line.code === 1 && line.restartInMs === restartInMs;
    await dev.line(failed(1000));
    await dev.line(failed(2000));
    await dev.line(failed(4000));

    // Not after the 8 s the backoff has reached: the change starts it.
    const mark = dev.lines.length;
    dev.edit('export const value = 2;');
    await dev.line(startedWith(2), mark);
    expect(dev.lines.slice(mark)).toContainEqual(expect.objectContaining({ service: 'dev', file: expect.stringMatching(/src\/value\.ts$/) as unknown }));
    expect(dev.lines.slice(mark).filter((line) => String(line.msg).includes('stopped unexpectedly'))).toEqual([]);

    dev.runner.kill('SIGTERM');
    expect(await dev.exited).toEqual({ code: 0, signal: null });
  });

  it('runs the new code when a file changes, after the old process has drained', { timeout: DEADLINE_MS * 2 }, async () => {
    const dev = runDev('export const value = 1;');
    const first = await dev.line(startedWith(1));

    dev.edit('export const value = 2;');
    const second = await dev.line(startedWith(2));
    const order = dev.lines.filter((line) => line.fixture === true).map((line) => [line.msg, line.pid]);
    expect(order).toEqual([
      ['started', first.pid],
      ['drained', first.pid],
      ['started', second.pid],
    ]);
    expect(dev.lines.some((line) => String(line.msg).includes('stopped unexpectedly'))).toBe(false);

    dev.runner.kill('SIGINT');
    expect(await dev.exited).toEqual({ code: 0, signal: null });
    await dev.line(drainedOf(second.pid));
  });
});
