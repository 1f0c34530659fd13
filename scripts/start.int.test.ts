import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { removeQueueKeys, testQueuePrefix } from '@shopgraph/queues/testing';
import { createTestDatabase, freePort, readLogLines, testEnv, testRedisUrl, waitFor, type LogLine, type TestDatabase } from '@shopgraph/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { platformProcesses } from './platform.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** For failing only: a start-up on a loaded two-core machine takes well under this. */
const DEADLINE_MS = 150_000;

type Line = LogLine;

interface NpmStart {
  npm: ChildProcess;
  lines: Line[];
  /** Resolves with the first log line `matches` accepts, already written or to come. */
  line(matches: (line: Line) => boolean): Promise<Line>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once every process that shared npm's stdout has exited and all its lines are read. */
  closed: Promise<unknown>;
  /** start.ts's line saying the platform is up, with the pid of each process. */
  up: Line;
  /** The port of each process, by its port variable (PAYMENT_PROVIDER_PORT …). */
  ports: Record<string, string>;
}

const runs: { database: TestDatabase; queuePrefix: string; npm: ChildProcess }[] = [];

afterEach(async () => {
  for (const { database, queuePrefix, npm } of runs.splice(0)) {
    // A run that failed half-way: whatever is left goes (a no-op when the test passed).
    for (const pid of [npm.pid!, ...descendantsOf(npm.pid!)]) killIfAlive(pid);
    await removeQueueKeys(testRedisUrl, queuePrefix);
    await database.drop();
  }
});

/** `npm start` as a person runs it, on a fresh database, free ports and queues of its own. */
async function npmStart(): Promise<NpmStart> {
  const database = await createTestDatabase('sg_start');
  const queuePrefix = testQueuePrefix();
  const ports: Record<string, string> = {};
  for (const spec of platformProcesses) ports[spec.portEnv] = String(await freePort());
  const env = {
    ...process.env,
    ...testEnv(database.url, { ...ports, LOG_LEVEL: 'info', QUEUE_PREFIX: queuePrefix, APQ_REDIS_PREFIX: `${queuePrefix}:apq:` }),
  };
  const npm = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  runs.push({ database, queuePrefix, npm });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const closed = new Promise((resolve) => npm.once('close', resolve));
  const { lines, line } = readLogLines(npm.stdout!, exited, () => `npm start exited (${npm.exitCode})`);
  const up = await line((entry) => entry.service === 'start' && String(entry.msg).startsWith('Shopgraph is up'));
  return { npm, lines, line, exited, closed, up, ports };
}

/** Every process below `pid` now: `ps` is what a person would look at. */
function descendantsOf(pid: number): number[] {
  const table = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((row) => row.trim().split(/\s+/))
    .map(([child, parent, state]) => ({ pid: Number(child), ppid: Number(parent), zombie: state!.startsWith('Z') }));
  const found: number[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const row of table) {
      if (row.ppid === parent && !row.zombie) {
        found.push(row.pid);
        frontier.push(row.pid);
      }
    }
  }
  return found;
}

/** Running: present and not a zombie (one whose parent died is reaped only if PID 1 reaps). */
function isAlive(pid: number): boolean {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
  } catch {
    return false; // ps exits 1 when there is no such process
  }
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** Polls until none of `pids` runs; rejects with the survivors at the deadline. */
async function allGone(pids: number[]): Promise<void> {
  await waitFor(() => pids.filter(isAlive).length === 0, { timeoutMs: DEADLINE_MS, intervalMs: 200, what: 'every process to be gone' }).catch((error: Error) => {
    throw new Error(`${error.message}: still running: ${pids.filter(isAlive).join(', ')}`);
  });
}

/** Whether a TCP connection to `host:port` is accepted. */
function accepts(host: string, port: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The exit start.ts saw of each service. */
const exitsOf = (lines: Line[]) =>
  Object.fromEntries(
    lines.filter((line) => line.service === 'start' && String(line.msg).endsWith(' exited')).map((line) => [line.process, { code: line.code, signal: line.signal }]),
  );

const services = platformProcesses.map((spec) => spec.name);

describe('npm start', () => {
  it('listens on 127.0.0.1 only; drains and stops every process it started on SIGTERM to npm, and exits 0', { timeout: DEADLINE_MS * 2 }, async () => {
    const { npm, lines, exited, closed, ports } = await npmStart();
    // Another address of this machine reaches none of them (HOST is not set).
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal);
    expect(external, 'this machine has no address but loopback to try').toBeDefined();
    for (const [name, port] of Object.entries(ports)) {
      expect(await accepts('127.0.0.1', port), `${name} on 127.0.0.1`).toBe(true);
      expect(await accepts(external!.address, port), `${name} on ${external!.address}`).toBe(false);
    }

    const pids = descendantsOf(npm.pid!);
    // npm, start.ts, the eight services (and the esbuild each tsx loader runs)
    expect(pids.length).toBeGreaterThanOrEqual(1 + services.length);

    npm.kill('SIGTERM');
    await allGone([npm.pid!, ...pids]);
    expect(await exited).toEqual({ code: 0, signal: null });
    await closed;
    // Each drained and exited by itself: none was killed.
    expect(exitsOf(lines)).toEqual(Object.fromEntries(services.map((name) => [name, { code: 0, signal: null }])));
    for (const name of services) expect(lines).toContainEqual(expect.objectContaining({ service: name, msg: 'shutting down' }));
  });

  it('drains on SIGINT to npm, and a second signal while a process still drains kills them all at once', { timeout: DEADLINE_MS * 2 }, async () => {
    const { npm, lines, line, exited, closed, up } = await npmStart();
    const pids = descendantsOf(npm.pid!);
    // A process that cannot finish draining: stopped, it never acts on the request to drain.
    const held = (up.processes as Record<string, number>)['payment-provider']!;
    process.kill(held, 'SIGSTOP');

    npm.kill('SIGINT');
    // Every other process has drained and exited: the platform waits for the held one.
    await Promise.all(
      services.filter((name) => name !== 'payment-provider').map((name) => line((entry) => entry.service === 'start' && entry.process === name && entry.msg === `${name} exited`)),
    );
    expect(isAlive(held)).toBe(true);
    npm.kill('SIGTERM');
    await allGone([npm.pid!, ...pids]);
    expect(await exited).toEqual({ code: 1, signal: null });
    await closed;
    expect(lines).toContainEqual(expect.objectContaining({ service: 'start', signal: 'SIGTERM', msg: 'second signal: killing every process' }));
    expect(exitsOf(lines)['payment-provider']).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('drains and stops every process when npm dies of SIGHUP, which npm does not pass on', { timeout: DEADLINE_MS * 2 }, async () => {
    const { npm, lines, exited, closed } = await npmStart();
    const pids = descendantsOf(npm.pid!);

    npm.kill('SIGHUP');
    expect(await exited).toEqual({ code: null, signal: 'SIGHUP' });
    await allGone(pids);
    await closed;
    expect(exitsOf(lines)).toEqual(Object.fromEntries(services.map((name) => [name, { code: 0, signal: null }])));
  });

  it('restarts a process that dies unexpectedly, saying why, while the others keep serving; stops only on the signal', { timeout: DEADLINE_MS * 2 }, async () => {
    const { npm, lines, line, exited, closed, up, ports } = await npmStart();
    const pids = up.processes as Record<string, number>;
    const victim = pids['payment-provider']!;
    process.kill(victim, 'SIGKILL');

    const why = await line((entry) => entry.service === 'start' && entry.process === 'payment-provider' && String(entry.msg).includes('stopped unexpectedly'));
    expect(why).toMatchObject({ pid: victim, signal: 'SIGKILL', restartInMs: 1000 });
    const restarted = await line((entry) => entry.service === 'start' && entry.process === 'payment-provider' && entry.msg === 'payment-provider restarted');
    expect(restarted.pid).not.toBe(victim);
    await waitFor(() => fetch(`http://127.0.0.1:${ports.PAYMENT_PROVIDER_PORT}/health`).then((response) => response.ok, () => false), {
      timeoutMs: DEADLINE_MS,
      what: 'the restarted payment provider to answer',
    });
    // Nobody else was touched: every other process is the one that started.
    for (const name of services.filter((service) => service !== 'payment-provider')) expect(isAlive(pids[name]!)).toBe(true);
    expect(isAlive(npm.pid!)).toBe(true);

    const running = descendantsOf(npm.pid!);
    npm.kill('SIGTERM');
    await allGone([npm.pid!, ...running]);
    expect(await exited).toEqual({ code: 0, signal: null });
    await closed;
    expect(lines).toContainEqual(expect.objectContaining({ service: 'start', process: 'payment-provider', pid: restarted.pid, code: 0, msg: 'payment-provider exited' }));
  });
});
