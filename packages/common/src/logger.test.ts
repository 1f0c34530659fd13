import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const loggerModule = fileURLToPath(new URL('./logger.ts', import.meta.url));

interface Run {
  /** Each stdout line as it arrived, and whether the process had been let go by then. */
  lines: { text: string; released: boolean }[];
}

/**
 * Runs `body` in a process of its own with both loggers imported; resolves with its stdout lines
 * when it exits. The body may wait for `released` (a promise): the process is released when
 * `release(lines)` says so, or when it exits.
 */
function runLogging(body: string, release?: (lines: string[]) => boolean): Promise<Run> {
  const script = `import { createAccessLogger, createLogger } from ${JSON.stringify(loggerModule)};
const released = new Promise((resolve) => process.stdin.once('data', resolve));
${body}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const run: Run = { lines: [] };
  let released = false;
  // Nothing to wait for: stdin ends, so it keeps nothing alive.
  if (!release) child.stdin.end();
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop()!;
    for (const text of parts) run.lines.push({ text, released });
    if (!released && release?.(run.lines.map(({ text }) => text))) {
      released = true;
      child.stdin.end('go');
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(run) : reject(new Error(`exited with ${code}`))));
  });
}

const json = (run: Run) => run.lines.map(({ text }) => JSON.parse(text) as Record<string, unknown>);

describe('createAccessLogger', () => {
  it('writes lines shaped like the service log, none lost when the process exits at once', async () => {
    const lines = json(await runLogging(`
      createLogger('svc').info({ req: { id: 'app' } }, 'started');
      const access = createAccessLogger('svc');
      for (let i = 0; i < 1000; i++) access.info({ req: { id: 'r' + i, method: 'POST', url: '/graphql' }, res: { statusCode: 200 } }, 'request completed');
      setImmediate(() => process.exit(0));
    `));
    expect(lines).toHaveLength(1001);
    const [app, ...access] = lines;
    expect(access.map((line) => (line.req as { id: string }).id)).toEqual(Array.from({ length: 1000 }, (_, i) => `r${i}`));
    for (const line of [app!, access[999]!]) {
      expect(Object.keys(line).slice(0, 3)).toEqual(['level', 'time', 'service']);
      expect(line).toMatchObject({ level: 'info', service: 'svc' });
      expect(new Date(line.time as string).toISOString()).toBe(line.time);
    }
  });

  it('lets a lone line out while the process runs on, not only when a batch fills or the process exits', async () => {
    // The process writes one line and waits; it is let go once that line has arrived. Were the
    // line held until a batch filled or the process exited, it would wait until vitest gave up.
    const run = await runLogging(
      `
      createAccessLogger('svc').info({ res: { statusCode: 200 } }, 'request completed');
      await released;
      createLogger('svc').info('released');
      `,
      (lines) => lines.length > 0,
    );
    expect(run.lines.map(({ text, released }) => [JSON.parse(text).msg, released])).toEqual([
      ['request completed', false],
      ['released', true],
    ]);
  });
});

describe('createLogger', () => {
  const lines = (settings: string, isTTY: boolean) =>
    runLogging(`
      Object.defineProperty(process.stdout, 'isTTY', { value: ${isTTY} });
      createLogger('svc', ${settings}).info({ orderId: 'o1' }, 'started');
      createAccessLogger('svc', ${settings}).info({ req: { id: 'r1', method: 'POST', url: '/graphql' }, res: { statusCode: 200 }, responseTime: 4, cache: 'MISS' }, 'request completed');
    `).then((run) => run.lines.map(({ text }) => text));

  it('prints lines a person reads, behind the service name, to a terminal outside production', async () => {
    // The two loggers write independently: in either order.
    const text = (await lines(`{ logLevel: 'info', nodeEnv: 'development' }`, true)).join('\n');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] .*INFO.*: .*\[svc\] started.*\n {4}.*orderId.*: "o1"/m);
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] .*INFO.*: .*\[svc\] request completed POST \/graphql 200 4 ms MISS \(r1\)/m);
    expect(text).not.toContain('{"level"');
  });

  it('keeps JSON lines in production, when stdout is not a terminal, and when given only a level', async () => {
    for (const [settings, isTTY] of [
      [`{ logLevel: 'info', nodeEnv: 'production' }`, true],
      [`{ logLevel: 'info', nodeEnv: 'development' }`, false],
      [`'info'`, true],
    ] as const) {
      const written = (await lines(settings, isTTY)).map((text) => JSON.parse(text) as Record<string, unknown>);
      expect(written).toHaveLength(2);
      expect(written).toContainEqual(expect.objectContaining({ level: 'info', service: 'svc', orderId: 'o1', msg: 'started' }));
      expect(written).toContainEqual(expect.objectContaining({ service: 'svc', req: { id: 'r1', method: 'POST', url: '/graphql' }, cache: 'MISS', msg: 'request completed' }));
    }
  });
});
