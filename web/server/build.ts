import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@shopgraph/common';

/** The web workspace's folder. */
export const webRoot = fileURLToPath(new URL('..', import.meta.url));
/** Where `vite build` writes the browser assets this server serves. */
export const distDir = join(webRoot, 'dist');

// What the bundle is made of: the app's source, its page, the build config and the locked deps.
const INPUTS = ['src', 'index.html', 'vite.config.ts', 'package.json', join('..', 'package-lock.json')];

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path);
  const times = await Promise.all(entries.map((entry) => newestMtime(join(path, entry))));
  return Math.max(info.mtimeMs, ...times);
}

/** True when `dist/` is missing or older than any of its inputs. */
export async function isBuildStale(): Promise<boolean> {
  const built = await stat(join(distDir, 'index.html')).catch(() => undefined);
  if (!built) return true;
  const inputs = await Promise.all(INPUTS.map((input) => newestMtime(join(webRoot, input))));
  return Math.max(...inputs) > built.mtimeMs;
}

/**
 * Builds the browser assets when they are missing or stale, so `npm start` from a fresh clone
 * or after a pull serves the current app without a separate build step. Builds into a
 * private folder and swaps it in, so a server never serves a half-written bundle.
 */
export async function ensureBuilt(logger: Logger): Promise<void> {
  if (!(await isBuildStale())) return;
  const started = Date.now();
  logger.info('building the storefront (dist/ is missing or older than its source)');
  const { build } = await import('vite');
  const outDir = join(webRoot, `dist.building-${process.pid}`);
  await build({
    root: webRoot,
    configFile: join(webRoot, 'vite.config.ts'),
    configLoader: 'runner',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  await rm(distDir, { recursive: true, force: true });
  try {
    await rename(outDir, distDir);
  } catch (error) {
    // Another platform on this checkout (npm start beside npm test) swapped its build in first:
    // the same source, so theirs serves as well as ours.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    await rm(outDir, { recursive: true, force: true });
  }
  logger.info({ ms: Date.now() - started }, 'storefront built');
}
