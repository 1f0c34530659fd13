import { assertDependencies, DependencyError } from '@shopgraph/common';
import { testServerUrl } from './database.js';
import { testRedisUrl } from './redis.js';

/** Before any test: Postgres and Redis answer, or one line says which one and how to start it. */
export default async function checkDependencies(): Promise<void> {
  try {
    await assertDependencies({ postgres: testServerUrl, redis: testRedisUrl });
  } catch (error) {
    if (!(error instanceof DependencyError)) throw error;
    console.error(`\n${error.message}\n`);
    process.exit(1);
  }
}
