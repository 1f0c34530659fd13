import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersHealth, ExitedBeforeReady, repoRoot, startNode, waitUntil } from './processes.js';

let dir: string;
let taken: Server;
let port: number;

beforeAll(async () => {
  // Under the repository, where `node --import tsx` finds tsx.
  mkdirSync(join(repoRoot, 'bench/tmp'), { recursive: true });
  dir = mkdtempSync(join(repoRoot, 'bench/tmp/processes-'));
  // What a server does with a port it was given: listen on it, or fail its start.
  writeFileSync(join(dir, 'listen.ts'), `import { createServer } from 'node:http';\ncreateServer((_, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');\n`);
  writeFileSync(join(dir, 'fail.ts'), `console.error('no database configured');\nprocess.exit(1);\n`);
  // Another process's server on the port: it answers, but not as the one started would.
  taken = createServer((_, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  port = (taken.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('a process that exits before it is ready', () => {
  it('says why, from its stderr, and that its port was taken when another process holds it', async () => {
    const started = startNode('listener', dir, 'listen.ts', { PATH: process.env.PATH, PORT: String(port) }, undefined);
    const failure = await waitUntil(started, answersHealth(`http://127.0.0.1:${port}/health`)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExitedBeforeReady);
    expect((failure as ExitedBeforeReady).portTaken).toBe(true);
    expect((failure as Error).message).toMatch(/listener exited \(1\) before it was ready: .*EADDRINUSE/s);
  });

  it('is not taken for a lost port when it failed for another reason', async () => {
    const started = startNode('misconfigured', dir, 'fail.ts', { PATH: process.env.PATH }, undefined);
    const failure = await waitUntil(started, async () => false).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExitedBeforeReady);
    expect((failure as ExitedBeforeReady).portTaken).toBe(false);
    expect((failure as Error).message).toContain('no database configured');
  });
});
