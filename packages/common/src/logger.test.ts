import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const loggerModule = fileURLToPath(new URL('./logger.ts', import.meta.url));

/** Runs `body` in a process of its own with both loggers imported; resolves with its stdout lines as they arrived. */
function runLogging(body: string): Promise<{ line: Record<string, unknown>; atMs: number }[]> {
  const script = `import { createAccessLogger, createLogger } from ${JSON.stringify(loggerModule)};\n${body}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = Date.now();
  const lines: { line: Record<string, unknown>; atMs: number }[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop()!;
    for (const part of parts) lines.push({ line: JSON.parse(part) as Record<string, unknown>, atMs: Date.now() - started });
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(lines) : reject(new Error(`exited with ${code}`))));
  });
}

describe('createAccessLogger', () => {
  it('writes lines shaped like the service log, none lost when the process exits at once', async () => {
    const lines = await runLogging(`
      createLogger('svc').info({ req: { id: 'app' } }, 'started');
      const access = createAccessLogger('svc');
      for (let i = 0; i < 300; i++) access.info({ req: { id: 'r' + i, method: 'POST', url: '/graphql' }, res: { statusCode: 200 } }, 'request completed');
      setTimeout(() => process.exit(0), 20);
    `);
    expect(lines).toHaveLength(301);
    const [app, ...access] = lines.map(({ line }) => line);
    expect(access.map((line) => (line.req as { id: string }).id)).toEqual(Array.from({ length: 300 }, (_, i) => `r${i}`));
    for (const line of [app!, access[299]!]) {
      expect(Object.keys(line).slice(0, 3)).toEqual(['level', 'time', 'service']);
      expect(line).toMatchObject({ level: 'info', service: 'svc' });
      expect(new Date(line.time as string).toISOString()).toBe(line.time);
    }
  });

  it('lets a lone line out within a quarter of a second, not only when a batch fills', async () => {
    const lines = await runLogging(`
      createAccessLogger('svc').info({ res: { statusCode: 200 } }, 'request completed');
      setTimeout(() => createLogger('svc').info('still running'), 1000);
      setTimeout(() => process.exit(0), 1100);
    `);
    expect(lines.map(({ line }) => line.msg)).toEqual(['request completed', 'still running']);
    expect(lines[1]!.atMs - lines[0]!.atMs).toBeGreaterThan(500);
  });
});
