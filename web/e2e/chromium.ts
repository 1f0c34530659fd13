import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sparticuzChromium from '@sparticuz/chromium';

/** A browser binary for the browser tests, and how to clean up after them. */
export interface ChromiumBinary {
  path: string;
  /** Where it came from, for the test run's log. */
  source: string;
  dispose(): Promise<void>;
}

/** A configuration problem with the browser, said in one line. */
export class ChromiumError extends Error {
  override name = 'ChromiumError';
}

/**
 * The Chromium the browser tests drive: the one `CHROMIUM_PATH` names (a system browser) when
 * set, otherwise the build `@sparticuz/chromium` ships inside its npm package, so `npm ci` is
 * all a machine needs. The package unpacks into `os.tmpdir()` and trusts a file that is already
 * there, which two test runs side by side would race on (one launching the other's half-written
 * binary); so each run unpacks into a directory of its own and removes it afterwards.
 */
export async function resolveChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumBinary> {
  const configured = env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) {
      throw new ChromiumError(`CHROMIUM_PATH=${configured} names no file: point it at a Chromium binary, or unset it to use the one npm installed (@sparticuz/chromium)`);
    }
    return { path: configured, source: `CHROMIUM_PATH (${configured})`, dispose: async () => {} };
  }
  const dir = await mkdtemp(join(tmpdir(), 'shopgraph-chromium-'));
  const previous = process.env.TMPDIR;
  // The package reads os.tmpdir() for every file it unpacks; point it at this run's directory.
  process.env.TMPDIR = dir;
  try {
    const path = await sparticuzChromium.executablePath();
    return { path, source: '@sparticuz/chromium', dispose: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new ChromiumError(`could not unpack the Chromium of @sparticuz/chromium into ${dir}: ${(error as Error).message.split('\n')[0]} (run \`npm ci\`, or set CHROMIUM_PATH to a Chromium binary)`);
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
}
