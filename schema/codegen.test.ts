import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codegenWorkspaces, generate } from './codegen.js';

const root = join(import.meta.dirname, '..');

describe('generated GraphQL types', () => {
  it('covers every subgraph and the storefront', () => {
    expect(codegenWorkspaces().map((dir) => relative(root, dir))).toEqual([
      'subgraphs/orders',
      'subgraphs/payments',
      'subgraphs/products',
      'subgraphs/users',
      'web',
    ]);
  });

  it.each(codegenWorkspaces().map((dir) => [relative(root, dir), dir]))(
    '%s: committed as generated (run `npm run codegen` after changing a schema or an operation)',
    async (_name, dir) => {
      const files = await generate(dir);
      expect(files.size).toBeGreaterThan(0);
      for (const [path, content] of files) {
        const committed = (() => {
          try {
            return readFileSync(join(dir, path), 'utf8');
          } catch {
            return undefined;
          }
        })();
        expect(committed === content, `${relative(root, join(dir, path))} is stale: run \`npm run codegen\``).toBe(true);
      }
    },
  );
});
