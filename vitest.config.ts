import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Node loads graphql's CommonJS build (it has no exports map); Vite would pick its ESM build for
// our code while Apollo keeps the CommonJS one, and `instanceof GraphQLError` then fails across
// the two. One build for everybody, as in production.
const graphqlCommonJs = createRequire(import.meta.url).resolve('graphql');
const resolve = { alias: [{ find: /^graphql$/, replacement: graphqlCommonJs }] };

// Unit and integration tests share one project; end-to-end tests start the whole platform once,
// the security tests once more in production mode.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        resolve,
        test: {
          name: 'services',
          include: ['{packages,subgraphs,gateway,workers,schema,payment-provider,deploy,bench,scripts}/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./packages/testing/src/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve,
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts', 'web/e2e/**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**', 'e2e/security/**'],
          globalSetup: ['./web/e2e/global-setup.ts', './e2e/global-setup.ts'],
          // One platform serves every file: a file that counts SQL statements or catalog rows
          // must not run while another one shops.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve,
        test: {
          // Attacks on a platform started as an operator runs it: NODE_ENV=production, real secrets.
          name: 'security',
          include: ['e2e/security/**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./e2e/security/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
