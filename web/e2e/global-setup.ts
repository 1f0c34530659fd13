import type { TestProject } from 'vitest/node';
import { ChromiumError, resolveChromium } from './chromium.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Chromium binary the browser tests launch (see `resolveChromium`). */
    chromiumPath: string;
  }
}

/** Once per end-to-end run: the browser every browser test file launches, or one line saying what is wrong. */
export default async function provideChromium(project: TestProject) {
  let chromium;
  try {
    chromium = await resolveChromium();
  } catch (error) {
    if (!(error instanceof ChromiumError)) throw error;
    console.error(`\n${error.message}\n`);
    process.exit(1);
  }
  project.provide('chromiumPath', chromium.path);
  return () => chromium.dispose();
}
